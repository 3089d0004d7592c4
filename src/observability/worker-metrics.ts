/**
 * The worker's metrics: the Temporal SDK's (Core's) own Prometheus exporter,
 * set when the Runtime is installed, listens on a loopback port of its own
 * choosing; the worker serves it on WORKER_METRICS_PORT through the same
 * endpoint as the gateway's (src/observability/metrics-endpoint.ts), so the
 * bind address, the bearer token and the failure to listen behave alike.
 * Core's exporter can check no token itself. docs/operations.md, Metrics.
 *
 * The SDK binds its exporter's address when the Runtime is installed and does
 * not report the port it bound (its bridge drops it), so port 0 will not do:
 * the port is found free here first, and another process may take it before
 * Core binds it. Core then refuses to start ("Address already in use"); the
 * install is tried again on another free port, and a third refusal is a clear
 * start-up error.
 */
import net from 'node:net';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { serveMetrics, type MetricsEndpoint } from './metrics-endpoint';

/** A port free on loopback now (the system's pick), for Core's exporter. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const INSTALL_TRIES = 3;

export interface WorkerMetrics {
  /** Runtime.install with these options and, unless WORKER_METRICS_PORT is 0, the SDK's exporter on a free loopback port. */
  installRuntime(options: RuntimeOptions): Promise<Runtime>;
  /** Serves the exporter's text on WORKER_METRICS_PORT (call once the Runtime is installed). */
  serve(logger: Logger): Promise<MetricsEndpoint | undefined>;
}

export function workerMetrics(config: Pick<Config, 'WORKER_METRICS_PORT' | 'METRICS_HOST' | 'METRICS_TOKEN'>): WorkerMetrics {
  if (!config.WORKER_METRICS_PORT) return { installRuntime: (options) => Promise.resolve(Runtime.install(options)), serve: () => Promise.resolve(undefined) };
  let core: string | undefined;
  return {
    async installRuntime(options) {
      for (let attempt = 1; ; attempt++) {
        const address = `127.0.0.1:${await freeLoopbackPort()}`;
        try {
          const runtime = Runtime.install({
            ...options,
            telemetryOptions: {
              ...options.telemetryOptions,
              // Prometheus's conventions: counters end in _total, durations are seconds (alert rules and dashboard rely on these names).
              metrics: {
                prometheus: {
                  bindAddress: address,
                  countersTotalSuffix: true,
                  useSecondsForDurations: true,
                  // The SDK's default buckets end at 10 s; a projection waiting out a PostgreSQL outage lags minutes.
                  histogramBucketOverrides: { progreg_projection_lag_seconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] },
                },
              },
            },
          });
          core = address;
          return runtime;
        } catch (e) {
          const message = (e as Error).message ?? String(e);
          if (!/prometheus/i.test(message)) throw e;
          if (attempt === INSTALL_TRIES)
            throw new Error(`The Temporal SDK's metrics exporter could not bind a free loopback port (${INSTALL_TRIES} tries; last: ${message})`, { cause: e });
        }
      }
    },
    serve: (logger) =>
      serveMetrics({
        host: config.METRICS_HOST,
        port: config.WORKER_METRICS_PORT,
        token: config.METRICS_TOKEN,
        logger,
        async render() {
          if (!core) throw new Error("the SDK's exporter is not started (the Runtime is not installed)");
          const res = await fetch(`http://${core}/metrics`);
          if (!res.ok) throw new Error(`the SDK's exporter answered ${res.status}`);
          return { contentType: res.headers.get('content-type') ?? 'text/plain; version=0.0.4', body: await res.text() };
        },
      }),
  };
}
