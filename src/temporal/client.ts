/** Connections to Temporal from the gateway, the CLI tools and the launcher. */
import { Client } from '@temporalio/client';
import { connectTemporal } from './connection';
import { dataConverter } from './data-converter';
import type { Config } from '../config';

type Addressing = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_DEV_PORT'>;

/** The configured frontend, else the embedded dev server that `npm start` runs. */
export const temporalAddress = (config: Addressing): string =>
  config.TEMPORAL_ADDRESS ?? `localhost:${config.TEMPORAL_DEV_PORT}`;

/** A client that seals every payload it sends and opens every payload it reads (data-converter.ts). */
export async function connectClient(config: Addressing & Pick<Config, 'TEMPORAL_NAMESPACE' | 'payloadKeys'>): Promise<Client> {
  const connection = await connectTemporal({ address: temporalAddress(config) });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config.payloadKeys) });
}
