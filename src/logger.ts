/** Structured JSON logs (pino) for every process; `npm start` pretty-prints them per child. */
import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name: string): Logger {
  return pino({ name, level: config.LOG_LEVEL, base: { name } });
}

/** DATABASE_URL is optional for `npm start` (embedded) but required by the production entry points. */
export function requireEnv<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    console.error(`${name} must be set (npm start sets it for the embedded stack)`);
    process.exit(2);
  }
  return value;
}
