/**
 * Raw HTTP/1.1 over a TCP socket, for tests that send what no HTTP client
 * library would: truncated bodies, lying lengths, broken framing. A request is
 * written as given; the answer is whatever the server wrote before it closed
 * the connection (or before the client gave up waiting).
 */
import net from 'node:net';

export interface RawAnswer {
  /** The status of the first answer, or undefined if the server closed without one. */
  status: number | undefined;
  /** Everything the server wrote, as latin1 text. */
  text: string;
  /** The body of the first answer parsed as JSON, when it is JSON with a Content-Length. */
  json: any;
  /** The socket errored (reset, broken pipe) rather than closing cleanly. */
  error: string | undefined;
  /** The server neither answered nor closed before the wait ran out. */
  timedOut: boolean;
}

export function connect(url: string): Promise<net.Socket> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
}

/** Parses the first HTTP answer out of what was received. */
function parseAnswer(text: string): { status: number | undefined; json: any } {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  const status = m ? Number(m[1]) : undefined;
  const headEnd = text.indexOf('\r\n\r\n');
  let json: any;
  if (status && headEnd > 0 && /content-type: application\/json/i.test(text.slice(0, headEnd))) {
    const length = Number(/content-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1]);
    const body = Buffer.from(text.slice(headEnd + 4), 'latin1')
      .subarray(0, Number.isFinite(length) ? length : undefined)
      .toString('utf8');
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
  }
  return { status, json };
}

/**
 * Writes `parts` one after the other on a new connection and collects the answer. `end: true`
 * half-closes after the last part (a client whose body stops: the server sees the end of the
 * stream). The wait ends at the server's close or after `waitMs`.
 */
export async function rawRequest(url: string, parts: (string | Buffer)[], opts: { end?: boolean; waitMs?: number } = {}): Promise<RawAnswer> {
  const socket = await connect(url);
  let text = '';
  let error: string | undefined;
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
  for (const p of parts) {
    if (socket.destroyed) break;
    socket.write(p);
  }
  if (opts.end && !socket.destroyed) socket.end();
  const timedOut = !(await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), opts.waitMs ?? 15_000))]));
  socket.destroy();
  return { ...parseAnswer(text), text, error, timedOut };
}
