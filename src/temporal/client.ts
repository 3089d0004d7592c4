/** Connections to Temporal from the gateway, the CLI tools and the launcher. */
import { Client } from '@temporalio/client';
import { connectTemporal } from './connection';
import type { Config } from '../config';

type Addressing = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_DEV_PORT'>;

/** The configured frontend, else the embedded dev server that `npm start` runs. */
export const temporalAddress = (config: Addressing): string =>
  config.TEMPORAL_ADDRESS ?? `localhost:${config.TEMPORAL_DEV_PORT}`;

export async function connectClient(config: Addressing & Pick<Config, 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await connectTemporal({ address: temporalAddress(config) });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
