/**
 * SeaweedFS (Apache-2.0) as the cluster's shared, S3-compatible file store:
 * `weed server` runs master, volume, filer and the S3 gateway in one process.
 * Every port is given explicitly (weed's default gRPC port is port + 10000,
 * which overflows for high ports). The S3 identities come from a small JSON
 * file written here; docker-compose mounts deploy/seaweedfs/s3.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Stack, Supervised } from '../launcher/stack';
import { clusterTools } from './tools';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SeaweedPorts {
  s3: number;
  master: number;
  volume: number;
  filer: number;
  masterGrpc: number;
  volumeGrpc: number;
  filerGrpc: number;
  s3Grpc: number;
}

/** Storage settings shared with docker-compose (deploy/seaweedfs/start.sh); ports and paths differ. */
export const WEED_SETTINGS = [
  // Small volumes: this is a registry's uploads, not a data lake (the default is 30 GB each).
  '-master.volumeSizeLimitMB=64',
  '-volume.max=0',
  // No usage statistics sent out (weed's default reports to telemetry.seaweedfs.com): a registry's store stays on its
  // network, and behind a firewall the report would only fail.
  '-master.telemetry=false',
] as const;

/**
 * The master's file-id assignment in the bucket's collection (SeaweedFS stores each bucket's objects in a collection
 * of its name): what the first write to the bucket asks for. A collection with no volumes yet has them grown first
 * (7 at the default replication), and the master answers only once they are writable, polling in steps of 200 ms:
 * measured on a quiet SeaweedFS, the first PutObject into a bucket took 210 ms against 3 ms for the next ones. Asked when
 * SeaweedFS is set up, so that no upload pays it; idempotent (a collection that has volumes is not grown again), and
 * the file id it hands out is never written. docker-compose asks the same (deploy/seaweedfs/start.sh).
 */
export const bucketVolumesPath = (bucket: string): string => `/dir/assign?collection=${bucket}`;

/**
 * Waits until the bucket's collection has writable volumes (`bucketVolumesPath`). A master just started defers its
 * first volume ids for a few seconds (about 5 s measured) and answers no assignment until then, so this retries.
 */
export async function growBucketVolumes(ports: Pick<SeaweedPorts, 'master'>, bucket: string, timeoutMs = 60_000): Promise<void> {
  const url = `http://127.0.0.1:${ports.master}${bucketVolumesPath(bucket)}`;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`SeaweedFS grew no volumes for bucket ${bucket} within ${timeoutMs} ms: ${last}`);
}

/** weed's own layout next to an S3 port (8333 → 8334…8336 and 8344…8347). */
export const seaweedPortsFrom = (s3: number): SeaweedPorts => ({
  s3,
  master: s3 + 1,
  volume: s3 + 2,
  filer: s3 + 3,
  masterGrpc: s3 + 11,
  volumeGrpc: s3 + 12,
  filerGrpc: s3 + 13,
  s3Grpc: s3 + 14,
});

/** The identity file of weed's S3 gateway: one identity with every action, as the application needs. */
export function s3IdentityConfig(credentials: S3Credentials): object {
  return {
    identities: [
      {
        name: 'progreg',
        credentials: [{ accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey }],
        actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
      },
    ],
  };
}

export function startSeaweedfs(stack: Stack, opts: { dataDir: string; ports: SeaweedPorts; credentials: S3Credentials }): Supervised {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const s3Config = path.join(opts.dataDir, 's3.json');
  fs.writeFileSync(s3Config, JSON.stringify(s3IdentityConfig(opts.credentials)), { mode: 0o600 });
  const p = opts.ports;
  return stack.supervise(
    's3',
    clusterTools.weed,
    [
      'server',
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-dir=${opts.dataDir}`,
      ...WEED_SETTINGS,
      `-master.port=${p.master}`,
      `-master.port.grpc=${p.masterGrpc}`,
      `-volume.port=${p.volume}`,
      `-volume.port.grpc=${p.volumeGrpc}`,
      '-filer',
      `-filer.port=${p.filer}`,
      `-filer.port.grpc=${p.filerGrpc}`,
      '-s3',
      `-s3.port=${p.s3}`,
      `-s3.port.grpc=${p.s3Grpc}`,
      `-s3.config=${s3Config}`,
    ],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      // weed logs every heartbeat and assignment at glog level 0/1; warnings and errors are what matter here.
      mute: (line) => stack.shuttingDown || /^I\d{4} /.test(line),
    },
  );
}
