/** Writes the gateway's OpenAPI document (the same one /openapi.json serves) to a file: `npm run openapi -- docs/openapi.json`. */
import fs from 'node:fs';
import path from 'node:path';
import { apiDocumentFor } from '../gateway/app';
import { cliConfig } from './connect';

const out = process.argv[2] ?? 'docs/openapi.json';
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(apiDocumentFor(cliConfig()), null, 2)}\n`);
console.log(`wrote ${out}`);
