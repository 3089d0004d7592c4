/** Connections to Temporal from the gateway, the CLI tools and the launcher. */
import fs from 'node:fs';
import { Client, type ConnectionOptions } from '@temporalio/client';
import { connectTemporal } from './connection';
import { tracingClientInterceptors } from '../observability/tracing';
import { dataConverter } from './data-converter';
import { temporalTlsEnabled, type Config } from '../config';

type Addressing = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_DEV_PORT'>;
type Transport = Pick<
  Config,
  'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

/**
 * TLS, mutual TLS and the API key of every connection to Temporal (the worker's native one too: both SDK
 * connections take these options), as Temporal's SDK and Cloud define them. Files are read at connect time,
 * so a renewed certificate is picked up at the next start.
 */
export function temporalTransport(config: Transport): { tls?: Exclude<ConnectionOptions['tls'], boolean | null | undefined>; apiKey?: string } {
  if (!temporalTlsEnabled(config)) return {};
  const read = (file: string) => fs.readFileSync(file);
  return {
    tls: {
      ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
      ...(config.TEMPORAL_TLS_CA_FILE ? { serverRootCACertificate: read(config.TEMPORAL_TLS_CA_FILE) } : {}),
      ...(config.TEMPORAL_TLS_CERT_FILE && config.TEMPORAL_TLS_KEY_FILE
        ? { clientCertPair: { crt: read(config.TEMPORAL_TLS_CERT_FILE), key: read(config.TEMPORAL_TLS_KEY_FILE) } }
        : {}),
    },
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

/** The configured frontend, else the embedded dev server that `npm start` runs. */
export const temporalAddress = (config: Addressing): string => config.TEMPORAL_ADDRESS ?? `localhost:${config.TEMPORAL_DEV_PORT}`;

/** A client that seals every payload it sends and opens every payload it reads (data-converter.ts). */
export async function connectClient(config: Addressing & Transport & Pick<Config, 'TEMPORAL_NAMESPACE' | 'payloadKeys'>): Promise<Client> {
  const connection = await connectTemporal({ address: temporalAddress(config), ...temporalTransport(config) });
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(config.payloadKeys),
    // Spans of its calls, carried to the workflow in Temporal headers (a no-op while tracing is off).
    interceptors: tracingClientInterceptors(),
  });
}
