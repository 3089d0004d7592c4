/**
 * The protocol fuzz: malformed HTTP written on raw sockets to a gateway in its
 * own process, what no schema-generated request is. Each connection carries one
 * case drawn (seeded) from these kinds: bodies shorter or longer than their
 * Content-Length, broken chunked encoding, junk and cut multipart uploads on the
 * real upload routes (a file, a page) and the import preview, the same on the
 * routes that take no body (sending pages for review, removing a page), huge and
 * duplicate headers, invalid UTF-8 in the path and in header values, bodies that
 * stop mid-stream (idle, or the client goes).
 *
 * It asserts what a gateway facing the world must keep: its pid never changes
 * (no request ends it), no answer is 5xx, and every connection is answered or
 * closed cleanly by the server (none reset before an answer, none left hanging
 * past the timeouts). Run within `npm run fuzz` (drills/fuzz.ts), short in npm test.
 */
import net from 'node:net';

export interface ProtocolTarget {
  url: string;
  /** The gateway's pid now (undefined if it is not running). */
  pid(): number | undefined;
  /** A signed-in student, so upload cases reach the multipart reader. */
  student: { applicationNo: string; session: string };
  /** An admin API key, so import-preview cases reach the body reader. */
  adminKey: string;
}

export interface ProtocolFuzzOptions {
  requests: number;
  seed?: number;
  /** Connections open at once. */
  concurrency?: number;
  /** How long a connection may go without an answer or a close (past the gateway's own timeouts). */
  waitMs?: number;
}

export interface ProtocolFuzzReport {
  sent: number;
  answered4xx: number;
  /** 1xx–3xx: a well-formed request inside a case (an over-long body's first request). */
  answeredOther: number;
  answered5xx: number;
  /** Closed by the server without an answer (a request it could not even parse). */
  closedWithoutAnswer: number;
  /** The client went away mid-body on purpose: nothing to answer. */
  abandonedByClient: number;
  /** Violations: reset before any answer, or neither answered nor closed in time. */
  resetBeforeAnswer: number;
  hung: number;
  restarts: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  /** Up to 20 examples of violations (5xx, resets, hangs), for the log. */
  examples: string[];
}

interface Case {
  kind: string;
  writes: (string | Buffer)[];
  /** Half-close after the writes (the body ends short). */
  end?: boolean;
  /** Destroy the socket after the writes (the client goes away mid-body). */
  abandon?: boolean;
}

/** A small seeded generator (mulberry32): the same seed sends the same cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cases(target: ProtocolTarget, rnd: () => number): Array<() => Case> {
  const host = new URL(target.url).host;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const paths = ['/api/session', '/healthz', `/api/registrations/${target.student.applicationNo}/form`, '/api/imports', '/portal/', '/api/events'];
  // Mostly an item the student has, so the body reaches the multipart reader; sometimes one refused before it is read.
  const items = `/api/registrations/${target.student.applicationNo}/items`;
  const upload = () => `${items}/${pick(['ID_DOCUMENT', 'ID_DOCUMENT', 'PHOTO', 'SUPPLEMENTARY:NO_SUCH_ITEM'])}/${pick(['documents', 'pages'])}`;
  const auth = `Authorization: Bearer ${target.student.session}\r\n`;
  const adminAuth = `Authorization: Bearer ${target.adminKey}\r\n`;
  // Where a body goes: a route as no one (refused before it is read), a route that takes no body as the student
  // (its body is read and dropped before anything is done), or the import preview as an admin.
  const bodyTarget = (): { method: string; path: string; auth: string } => {
    const r = rnd();
    if (r < 0.5) return { method: 'POST', path: pick(paths), auth: '' };
    if (r < 0.7) return { method: 'POST', path: `${items}/ID_DOCUMENT/send`, auth };
    if (r < 0.85) return { method: 'DELETE', path: `${items}/ID_DOCUMENT/pages/${1 + int(3)}`, auth };
    return { method: 'POST', path: '/api/imports/preview', auth: adminAuth };
  };
  // A multipart body: mostly a file or a page of the student's, sometimes a cohort for the preview.
  const multipartTarget = () => (rnd() < 0.85 ? { path: upload(), auth } : { path: '/api/imports/preview', auth: adminAuth });
  const head = (method: string, path: string, extra: string) => `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
  const B = 'fz' + int(1e9).toString(36);
  // The file in the field `file` mostly; also in another field, or in a part with no name (read and dropped).
  const filePart = (content: Buffer) => {
    const name = pick(['; name="file"', '; name="file"', '; name="other"', '']);
    return Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data${name}; filename="f.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`),
      content,
    ]);
  };
  return [
    () => {
      const body = bytes(1 + int(4000));
      const to = bodyTarget();
      return {
        kind: 'truncated body',
        writes: [
          head(
            to.method,
            to.path,
            `${to.auth}Content-Type: ${pick(['application/json', 'text/csv'])}\r\nContent-Length: ${body.length + 1 + int(100_000)}\r\n`,
          ),
          body,
        ],
        end: true,
      };
    },
    () => {
      const body = `{"token":"${'x'.repeat(int(200))}"}`;
      const extra = rnd() < 0.5 ? bytes(int(3000)) : Buffer.from(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      return {
        kind: 'over-long body',
        writes: [head('POST', '/api/session', `Content-Type: application/json\r\nContent-Length: ${int(body.length)}\r\n`), body, extra],
      };
    },
    () => {
      const bad = pick([
        'zz\r\nabc\r\n0\r\n\r\n',
        '-5\r\nabcde\r\n0\r\n\r\n',
        'ffffffffffffffffff\r\nabc\r\n',
        '5\r\nabcdefghij\r\n0\r\n\r\n',
        '3;' + 'e'.repeat(20_000) + '\r\nabc\r\n0\r\n\r\n',
        '5\nabcde\n0\n\n',
        '0\r\nX-Trailer: ' + 'y'.repeat(int(100)) + '\r\n\r\n',
      ]);
      const to = rnd() < 0.3 ? { method: 'POST', path: upload(), auth } : bodyTarget();
      return {
        kind: 'bad chunked encoding',
        writes: [
          head(
            to.method,
            to.path,
            `${to.auth || auth}Content-Type: ${pick(['application/json', `multipart/form-data; boundary=${B}`])}\r\nTransfer-Encoding: chunked\r\n`,
          ),
          bad,
        ],
        end: rnd() < 0.3,
      };
    },
    () => {
      const body = Buffer.concat([
        pick([Buffer.from(`--${B}\r\n`), Buffer.from(`--WRONG\r\n`), Buffer.alloc(0), Buffer.from(`--${B}--\r\n`)]),
        pick([filePart(bytes(int(5000))), bytes(int(5000)), Buffer.from(`Content-Disposition: form-data\r\n\r\n`)]),
        pick([Buffer.from(`\r\n--${B}--\r\n`), Buffer.from(`\r\n--${B}`), Buffer.alloc(0), Buffer.from(`\r\n--${B}\r\n\r\n`), bytes(100)]),
      ]);
      const type = pick([
        `multipart/form-data; boundary=${B}`,
        'multipart/form-data',
        'multipart/form-data; boundary=',
        `multipart/form-data; boundary="${'b'.repeat(200)}"`,
        `multipart/mixed; boundary=${B}`,
      ]);
      const to = multipartTarget();
      return { kind: 'junk multipart', writes: [head('POST', to.path, `${to.auth}Content-Type: ${type}\r\nContent-Length: ${body.length}\r\n`), body] };
    },
    () => {
      const variant = int(4);
      const extra =
        variant === 0
          ? `X-Huge: ${'h'.repeat(20_000 + int(60_000))}\r\n`
          : variant === 1
            ? Array.from({ length: 500 + int(2000) }, (_, i) => `X-H${i}: ${i}\r\n`).join('')
            : variant === 2
              ? `Content-Length: 5\r\nContent-Length: ${6 + int(10)}\r\n`
              : `Host: other.example\r\n${auth}Authorization: Bearer pgk_dup\r\nContent-Type: text/csv\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n`;
      return { kind: 'huge or duplicate headers', writes: [head(pick(['GET', 'POST']), pick(paths), extra), 'abcde'] };
    },
    () => {
      const badPath = Buffer.concat([
        Buffer.from(`${pick(['GET', 'POST'])} /api/registrations/`),
        bytes(1 + int(20)).map((b) => (b < 0x80 ? b | 0x80 : b)),
        Buffer.from(pick(['', '/form', '/items/ID_DOCUMENT/documents'])),
      ]);
      const badHeader = Buffer.concat([
        Buffer.from(`X-Name: `),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xe0, 0xa4]),
        Buffer.from(`\r\nCookie: progreg_session=`),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('\r\n'),
      ]);
      const variant = int(3);
      const line = variant === 0 ? badPath : Buffer.from(`GET ${pick(paths)}`);
      return {
        kind: 'invalid UTF-8 in path or headers',
        writes: [
          Buffer.concat([
            line,
            Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\n`),
            variant === 0 ? Buffer.alloc(0) : badHeader,
            variant === 2 ? Buffer.from(auth) : Buffer.alloc(0),
            Buffer.from('Connection: close\r\n\r\n'),
          ]),
        ],
      };
    },
    () => {
      const declared = 50_000 + int(2_000_000);
      const sent = filePart(bytes(int(20_000)));
      const abandon = rnd() < 0.5;
      // Mostly an upload or the preview; sometimes a route that takes no body, which must not act before it ends.
      const to = rnd() < 0.75 ? { method: 'POST', ...multipartTarget() } : bodyTarget();
      return {
        kind: abandon ? 'body stops: client goes' : 'body stops: client idles',
        writes: [head(to.method, to.path, `${to.auth}Content-Type: multipart/form-data; boundary=${B}\r\nContent-Length: ${declared}\r\n`), sent],
        abandon,
      };
    },
  ];
}

type Outcome = { kind: string; status?: number; result: 'answered' | 'closed' | 'abandoned' | 'reset' | 'hung'; detail?: string };

function runCase(url: string, c: Case, waitMs: number): Promise<Outcome> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    let error: string | undefined;
    let settled = false;
    const finish = (o: Omit<Outcome, 'kind'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ kind: c.kind, ...o });
    };
    const statusOf = () => {
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      return m ? Number(m[1]) : undefined;
    };
    const timer = setTimeout(() => {
      const status = statusOf();
      finish(status ? { status, result: 'answered' } : { result: 'hung', detail: text.slice(0, 100) });
    }, waitMs);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      // Answered: the whole head is in; the server may keep the connection, nothing more is needed.
      if (statusOf() && text.includes('\r\n\r\n')) finish({ status: statusOf(), result: 'answered' });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => {
      const status = statusOf();
      if (status) finish({ status, result: 'answered' });
      else if (error) finish({ result: 'reset', detail: `${error} ${text.slice(0, 100)}` });
      else finish({ result: 'closed' });
    });
    socket.on('connect', () => {
      for (const w of c.writes) if (!socket.destroyed) socket.write(w);
      if (c.abandon) {
        // Long enough for the gateway to start reading the body, then gone.
        setTimeout(() => finish({ result: 'abandoned' }), 50);
      } else if (c.end && !socket.destroyed) socket.end();
    });
  });
}

export async function runProtocolFuzz(target: ProtocolTarget, opts: ProtocolFuzzOptions): Promise<ProtocolFuzzReport> {
  const rnd = random(opts.seed ?? 1);
  const makers = cases(target, rnd);
  const startPid = target.pid();
  const report: ProtocolFuzzReport = {
    sent: 0,
    answered4xx: 0,
    answeredOther: 0,
    answered5xx: 0,
    closedWithoutAnswer: 0,
    abandonedByClient: 0,
    resetBeforeAnswer: 0,
    hung: 0,
    restarts: 0,
    byKind: {},
    byStatus: {},
    examples: [],
  };
  let lastPid = startPid;
  const note = (line: string) => {
    if (report.examples.length < 20) report.examples.push(line);
  };
  const next = (i: number): Case => makers[i % makers.length]!();
  let i = 0;
  const workers = Array.from({ length: opts.concurrency ?? 16 }, async () => {
    while (i < opts.requests) {
      const c = next(i++);
      const o = await runCase(target.url, c, opts.waitMs ?? 15_000);
      report.sent++;
      report.byKind[o.kind] = (report.byKind[o.kind] ?? 0) + 1;
      if (o.status) report.byStatus[o.status] = (report.byStatus[o.status] ?? 0) + 1;
      if (o.result === 'answered' && o.status! >= 500) {
        report.answered5xx++;
        note(`${o.kind}: answered ${o.status}`);
      } else if (o.result === 'answered' && o.status! >= 400) report.answered4xx++;
      else if (o.result === 'answered') report.answeredOther++;
      else if (o.result === 'closed') report.closedWithoutAnswer++;
      else if (o.result === 'abandoned') report.abandonedByClient++;
      else if (o.result === 'reset') {
        report.resetBeforeAnswer++;
        note(`${o.kind}: reset before an answer (${o.detail})`);
      } else {
        report.hung++;
        note(`${o.kind}: neither answered nor closed (${o.detail})`);
      }
      const pid = target.pid();
      if (pid !== lastPid) {
        report.restarts++;
        note(`${o.kind}: the gateway's pid went from ${lastPid} to ${pid}`);
        lastPid = pid;
      }
    }
  });
  await Promise.all(workers);
  return report;
}

/** The rows `npm run fuzz` prints. */
export function protocolRows(r: ProtocolFuzzReport): string[] {
  return [
    `protocol fuzz (raw sockets): requests sent ${r.sent}`,
    `  answered 4xx: ${r.answered4xx}`,
    `  answered 1xx-3xx: ${r.answeredOther}`,
    `  5xx: ${r.answered5xx}`,
    `  closed by the server without an answer: ${r.closedWithoutAnswer}; abandoned by the client mid-body: ${r.abandonedByClient}`,
    `  reset before an answer: ${r.resetBeforeAnswer}; neither answered nor closed: ${r.hung}`,
    `  process restarts: ${r.restarts}`,
    `  by kind: ${Object.entries(r.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  by status: ${Object.entries(r.byStatus)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
    ...r.examples.map((e) => `  ! ${e}`),
  ];
}

/** What the fuzz must find: nothing that a gateway facing the world may do. */
export function protocolViolations(r: ProtocolFuzzReport): string[] {
  const v: string[] = [];
  if (r.answered5xx) v.push(`${r.answered5xx} answers ≥ 500`);
  if (r.restarts) v.push(`${r.restarts} gateway restarts`);
  if (r.resetBeforeAnswer) v.push(`${r.resetBeforeAnswer} connections reset before an answer`);
  if (r.hung) v.push(`${r.hung} connections neither answered nor closed`);
  return v;
}
