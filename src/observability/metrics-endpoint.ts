/**
 * The one HTTP server both processes expose their Prometheus metrics on
 * (`GET /metrics`, text exposition format): a port of its own, never the
 * gateway's public one, bound to METRICS_HOST (loopback by default) and, with
 * METRICS_TOKEN set, answering only a scrape that presents it as a bearer
 * token. docs/operations.md, Metrics.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';

export interface MetricsEndpointOptions {
  host: string;
  port: number;
  token: string | undefined;
  /** The exposition text and its content type, fresh for each scrape. */
  render: () => Promise<{ contentType: string; body: string }>;
  logger: Logger;
}

export interface MetricsEndpoint {
  /** host:port it listens on (the port the system chose when asked for 0). */
  address(): string;
  close(): Promise<void>;
}

const sameToken = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Listens, and resolves once it does. A port already taken is logged and the process carries on without
 * metrics: a registration must never stop because its statistics cannot be published.
 */
export function serveMetrics(options: MetricsEndpointOptions): Promise<MetricsEndpoint | undefined> {
  const { host, port, token, render, logger } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    if (token !== undefined) {
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
      if (!sameToken(given, token)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('metrics need the bearer token (METRICS_TOKEN)\n');
        return;
      }
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      (e: unknown) => {
        logger.error({ err: e }, 'metrics could not be collected');
        res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
      },
    );
  });
  return new Promise((resolve) => {
    server.once('error', (e) => {
      logger.error({ err: e, host, port }, 'metrics endpoint cannot listen; carrying on without it');
      resolve(undefined);
    });
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
      logger.info({ metrics: `http://${address}/metrics`, token: token !== undefined }, 'metrics endpoint listening');
      resolve({
        address: () => address,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
