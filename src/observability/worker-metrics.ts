/**
 * The worker's metrics: the Temporal SDK's (Core's) own Prometheus exporter,
 * set when the Runtime is installed, listens on a loopback port of its own
 * choosing; the worker serves it on WORKER_METRICS_PORT through the same
 * endpoint as the gateway's (src/observability/metrics-endpoint.ts), so the
 * bind address, the bearer token and the failure to listen behave alike.
 * Core's exporter can check no token itself. docs/operations.md, Metrics.
 */
import net from 'node:net';
import type { MetricsExporterConfig } from '@temporalio/worker';
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

export interface WorkerMetrics {
  /** For Runtime.install's telemetryOptions.metrics; undefined when WORKER_METRICS_PORT is 0. */
  exporter: MetricsExporterConfig | undefined;
  /** Serves the exporter's text on WORKER_METRICS_PORT (call once the Runtime is installed). */
  serve(logger: Logger): Promise<MetricsEndpoint | undefined>;
}

export async function workerMetrics(config: Pick<Config, 'WORKER_METRICS_PORT' | 'METRICS_HOST' | 'METRICS_TOKEN'>): Promise<WorkerMetrics> {
  if (!config.WORKER_METRICS_PORT) return { exporter: undefined, serve: () => Promise.resolve(undefined) };
  const core = `127.0.0.1:${await freeLoopbackPort()}`;
  return {
    exporter: {
      // Prometheus's conventions: counters end in _total, durations are seconds (alert rules and dashboard rely on these names).
      prometheus: {
        bindAddress: core,
        countersTotalSuffix: true,
        useSecondsForDurations: true,
        // The SDK's default buckets end at 10 s; a projection waiting out a PostgreSQL outage lags minutes.
        histogramBucketOverrides: { progreg_projection_lag_seconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] },
      },
    },
    serve: (logger) =>
      serveMetrics({
        host: config.METRICS_HOST,
        port: config.WORKER_METRICS_PORT,
        token: config.METRICS_TOKEN,
        logger,
        async render() {
          const res = await fetch(`http://${core}/metrics`);
          if (!res.ok) throw new Error(`the SDK's exporter answered ${res.status}`);
          return { contentType: res.headers.get('content-type') ?? 'text/plain; version=0.0.4', body: await res.text() };
        },
      }),
  };
}
