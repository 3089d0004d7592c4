/**
 * `npm run certs`: the certificates docker-compose mounts from deploy/certs (git-ignored): a CA
 * and one server certificate for the compose network's names `temporal` (the Temporal frontend)
 * and `postgresql`, valid for a year. The containers run as their own users, so the key is
 * readable by all on the host: keep deploy/certs on a host only operators use, or hand the key
 * to the containers as a secret (docs/operations.md, "docker-compose.yml").
 *
 *   npm run certs              writes deploy/certs/{ca,server,server-key}.pem (replaces them)
 */
import path from 'node:path';
import { projectRoot } from '../paths';
import { makeCertificates } from './tls';

const dir = path.join(projectRoot, 'deploy', 'certs');
makeCertificates(dir, { names: ['temporal', 'postgresql'], validDays: 365, keyMode: 0o644 }).then(
  (files) =>
    console.log(
      `certs: ${path.relative(projectRoot, files.caFile)}, server.pem and server-key.pem for temporal and postgresql in ${path.relative(projectRoot, dir)}`,
    ),
  (e: unknown) => {
    console.error(`certs: ${String(e)}`);
    process.exit(1);
  },
);
