/**
 * A real gateway for HTTP tests: createApp over the shared test PostgreSQL and
 * the dev server's client, listening on a free port, with its own upload
 * folder. `fetchJson` keeps the tests short.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import type { PrismaClient } from '../../src/db/prisma';
import { createApp } from '../../src/gateway/app';
import { createLogger } from '../../src/logger';
import { database, devServerEnv, freePort } from '../support/env';

export interface TestGateway {
  url: string;
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  close(): Promise<void>;
}

export async function startGateway(
  opts: { env?: NodeJS.ProcessEnv; prisma?: PrismaClient; temporal?: Client } = {},
): Promise<TestGateway> {
  const port = await freePort();
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-gw-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    VAR_DIR: varDir,
    GATEWAY_PORT: String(port),
    ...opts.env,
  });
  const prisma = opts.prisma ?? (await database()).prisma;
  const temporal = opts.temporal ?? (await devServerEnv()).client;
  const app = createApp({ config, prisma, temporal, logger: createLogger(config, 'gateway') });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    prisma,
    temporal,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function fetchJson<T = any>(url: string, init: RequestInit & { json?: unknown; bearer?: string } = {}): Promise<JsonResponse<T>> {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  if (init.bearer) headers.set('authorization', `Bearer ${init.bearer}`);
  const res = await fetch(url, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T };
}
