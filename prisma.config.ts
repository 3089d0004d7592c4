// Prisma CLI configuration: the JS schema engine with adapter-pg, so migrations
// run with nothing downloaded. DATABASE_URL is set by whoever runs the CLI
// (npm start, the test harness, or the operator).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { migrationAdapter } from './src/db/adapter';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set (npm start and the tests set it for the embedded PostgreSQL)');
    return migrationAdapter(url);
  },
});
