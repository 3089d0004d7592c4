/** Connections to Temporal from the gateway, the CLI tools and the launcher. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export const temporalAddress = (config: Pick<Config, 'TEMPORAL_ADDRESS'>): string =>
  config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;

export async function connectClient(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress(config) });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
