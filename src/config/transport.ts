/**
 * Whether the connections that carry personal data off this machine are
 * encrypted: to Temporal (TLS, as TEMPORAL_TLS and its files decide) and to
 * PostgreSQL (the URL's `sslmode`). A production start refuses either in the
 * clear unless it stays on this machine (docs/operations.md, "Personal data").
 */
import net from 'node:net';
import type { Raw } from './variables';

type TemporalTls = Pick<
  Raw,
  'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

/** TEMPORAL_TLS, else on when a TLS file, a server name or an API key is set (an API key is only ever sent over TLS). */
export function temporalTlsEnabled(r: TemporalTls): boolean {
  if (r.TEMPORAL_TLS) return r.TEMPORAL_TLS === 'true';
  return [r.TEMPORAL_TLS_CA_FILE, r.TEMPORAL_TLS_CERT_FILE, r.TEMPORAL_TLS_KEY_FILE, r.TEMPORAL_TLS_SERVER_NAME, r.TEMPORAL_API_KEY].some(Boolean);
}

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * `localhost`, 127.0.0.0/8 or ::1 (with or without brackets): an address only this machine reaches,
 * for the connections here and the metrics endpoints' METRICS_HOST. A name under `.localhost` is not
 * one: RFC 6761 asks resolvers to answer loopback for it, but glibc hands it to DNS like any name.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  const family = net.isIP(h);
  return family !== 0 && loopback.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of `host:port`, `[v6]:port` or a bare host. */
function hostOf(address: string): string {
  if (address.startsWith('[')) return address.slice(0, address.indexOf(']') + 1);
  return net.isIP(address) === 6 ? address : address.replace(/:\d+$/, '');
}

const SSL_MODES_THAT_ENCRYPT = ['require', 'verify-ca', 'verify-full'];

/** The production refusals of this file, each naming its variable. */
export function transportProblems(r: TemporalTls & Pick<Raw, 'TEMPORAL_ADDRESS' | 'DATABASE_URL'>): string[] {
  const problems: string[] = [];
  // Unset TEMPORAL_ADDRESS is the embedded server on localhost.
  if (r.TEMPORAL_ADDRESS && !isLoopbackHost(hostOf(r.TEMPORAL_ADDRESS)) && !temporalTlsEnabled(r)) {
    problems.push(
      `TEMPORAL_ADDRESS: ${r.TEMPORAL_ADDRESS} is off this machine, so the connection must use TLS in production (TEMPORAL_TLS=true, with TEMPORAL_TLS_CA_FILE for a private CA)`,
    );
  }
  if (r.DATABASE_URL) {
    const url = new URL(r.DATABASE_URL);
    // libpq's `host` parameter overrides the URL's host; a path there is a Unix socket (local).
    const hostParam = url.searchParams.get('host');
    const local = hostParam ? hostParam.startsWith('/') || isLoopbackHost(hostParam) : url.hostname === '' || isLoopbackHost(url.hostname);
    const sslmode = url.searchParams.get('sslmode');
    if (!local && !SSL_MODES_THAT_ENCRYPT.includes(sslmode ?? '')) {
      problems.push(
        `DATABASE_URL: ${url.hostname || hostParam} is off this machine, so the URL must ask for TLS in production (\`?sslmode=verify-full\`, or require/verify-ca; got ${sslmode ? `sslmode=${sslmode}` : 'no sslmode'})`,
      );
    }
  }
  return problems;
}
