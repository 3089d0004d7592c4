import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CLUSTER_REPLICAS, sharedProcessEnv } from '../../src/cluster/cluster';
import { productionNodeEnv, productionNodeFlags } from '../../src/cluster/node-flags';
import { bucketVolumesPath, s3IdentityConfig, WEED_SETTINGS } from '../../src/cluster/seaweedfs';
import { portsFrom, TEMPORAL_CONFIG_FILE, TEMPORAL_DYNAMIC_CONFIG_FILE, temporalServerEnv } from '../../src/cluster/temporal-server';
import { projectRoot } from '../../src/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TOOLS } = require('../../scripts/setup-go-tools.js') as { TOOLS: Record<string, { version: string }> };

interface Service {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  entrypoint?: string[];
  command?: string[];
  deploy?: { replicas?: number };
  restart?: string;
}

/** docker-compose.yml as compose reads it (anchors and merge keys resolved). */
const compose = parse(fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** A path inside a container → the repository file mounted there, through the service's bind mounts. */
function hostPathOf(service: Service, containerPath: string): string | undefined {
  for (const v of service.volumes ?? []) {
    const [host, target] = v.split(':');
    if (!host!.startsWith('./')) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) return path.join(projectRoot, host!, containerPath.slice(target!.length));
  }
  return undefined;
}

/** Variables deploy/temporal/config.yaml reads, and whether it has a default for each. */
function templateVariables(): Map<string, boolean> {
  const text = fs.readFileSync(TEMPORAL_CONFIG_FILE, 'utf8');
  const vars = new Map<string, boolean>();
  for (const m of text.matchAll(/env "(\w+)"/g)) {
    const hasDefault = /default\s+"[^"]*"\s+\($/.test(text.slice(Math.max(0, m.index! - 40), m.index));
    vars.set(m[1]!, (vars.get(m[1]!) ?? false) || hasDefault);
  }
  return vars;
}

describe('docker-compose.yml describes the topology npm run cluster runs', () => {
  const temporal = services.temporal!;

  it('the Temporal server runs the same config file and dynamic config, the same version, with every variable the config needs', () => {
    assert.match(temporal.image!, /^temporalio\/server:/);
    assert.equal(`v${temporal.image!.split(':')[1]}`, TOOLS.temporal!.version, 'server image = the version setup-go-tools builds');
    assert.equal(`v${services['temporal-schema']!.image!.split(':')[1]}`, TOOLS.temporal!.version, 'schema tool = server version');
    const entry = temporal.entrypoint!;
    const configInContainer = entry[entry.indexOf('--config-file') + 1]!;
    assert.equal(hostPathOf(temporal, configInContainer), TEMPORAL_CONFIG_FILE);
    assert.ok(entry.includes('start'));
    assert.equal(hostPathOf(temporal, temporal.environment!.DYNAMIC_CONFIG_FILE_PATH!), TEMPORAL_DYNAMIC_CONFIG_FILE);

    const vars = templateVariables();
    const launcherEnv = temporalServerEnv({ host: 'h', port: 1, user: 'u', password: 'p' }, portsFrom(17233), {
      caFile: 'ca',
      certFile: 'c',
      keyFile: 'k',
      serverName: 's',
    });
    for (const [name, hasDefault] of vars) {
      if (!hasDefault) {
        assert.ok(name in temporal.environment! || name === 'BIND_ON_IP', `compose's temporal service does not set ${name}, which the config needs`);
        assert.ok(name in launcherEnv || name === 'BIND_ON_IP', `npm run cluster does not set ${name}, which the config needs`);
      }
    }
    for (const name of Object.keys(temporal.environment!)) assert.ok(vars.has(name), `compose sets ${name}, which the server config never reads`);
    for (const name of Object.keys(launcherEnv)) assert.ok(vars.has(name), `npm run cluster sets ${name}, which the server config never reads`);
  });

  it('the dynamic config forces the search-attribute cache refresh (attributes usable as soon as registered)', () => {
    const dynamic = parse(fs.readFileSync(TEMPORAL_DYNAMIC_CONFIG_FILE, 'utf8')) as Record<string, Array<{ value: unknown }>>;
    assert.equal(dynamic['system.forceSearchAttributesCacheRefreshOnRead']?.[0]?.value, true);
  });

  it('the UI is the same ui-server version, reachable only from the host', () => {
    const ui = services['temporal-ui']!;
    assert.equal(`v${ui.image!.split(':')[1]}`, TOOLS.ui!.version);
    for (const p of ui.ports ?? []) assert.match(p, /^127\.0\.0\.1:/);
  });

  it('two worker and two gateway replicas behind a proxy, with the environment the cluster gives its processes', () => {
    assert.equal(services.worker!.deploy?.replicas, CLUSTER_REPLICAS);
    assert.equal(services.gateway!.deploy?.replicas, CLUSTER_REPLICAS);
    assert.equal(services.gateway!.ports, undefined, 'gateways are reached through the proxy only');
    assert.ok(services.proxy, 'a reverse proxy in front of the gateways');
    const nginx = fs.readFileSync(hostPathOf(services.proxy!, '/etc/nginx/conf.d/default.conf')!, 'utf8');
    assert.match(nginx, /server gateway:3000/);
    const shared = sharedProcessEnv({
      databaseUrl: 'd',
      temporalAddress: 't',
      namespace: 'n',
      taskQueue: 'q',
      temporalTls: { caFile: 'c', serverName: 'n' },
      s3Endpoint: 's',
      s3: { bucket: 'b', accessKeyId: 'a', secretAccessKey: 's' },
    });
    for (const name of ['worker', 'import-worker', 'gateway']) {
      const env = services[name]!.environment!;
      for (const key of Object.keys(shared)) assert.ok(key in env, `${name} lacks ${key}, which npm run cluster sets`);
      assert.equal(env.RATE_LIMIT_STORE, shared.RATE_LIMIT_STORE);
      assert.match(env.S3_ENDPOINT!, /^http:\/\/s3:/);
      // Metrics on the compose network, which production accepts only behind the bearer token (no port is published).
      assert.equal(env.METRICS_HOST, '0.0.0.0');
      assert.match(String(env.METRICS_TOKEN), /^\$\{METRICS_TOKEN:\?/);
      assert.equal(services[name]!.ports, undefined);
    }
  });

  it('what the launcher restarts (worker, gateway) compose restarts too, as it does every long-running server; one-shot jobs are not restarted', () => {
    for (const name of ['worker', 'gateway', 'postgresql', 'temporal', 'temporal-ui', 's3', 'proxy'])
      assert.equal(services[name]!.restart, 'unless-stopped', `${name} restart policy`);
    for (const name of ['temporal-schema', 'temporal-setup', 'migrate']) assert.equal(services[name]!.restart, undefined, `${name} runs once`);
  });

  it('the gateway starts with the V8 flags of `npm run gateway`, in compose and in the Dockerfile', () => {
    const flags = productionNodeFlags('gateway');
    assert.deepEqual(flags, ['--max-semi-space-size=4', '--optimize-for-size']);
    assert.deepEqual(services.gateway!.command, ['node', ...flags, 'dist/src/gateway/server.js']);
    const cmd = /^CMD (.*)$/m.exec(fs.readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8'))?.[1];
    assert.deepEqual(JSON.parse(cmd ?? 'null'), ['node', ...flags, 'dist/src/gateway/server.js']);
  });

  it("the worker starts as `npm run worker` does: the built worker, its V8 flags, its preloaded module and glibc's allocator settings", () => {
    const flags = productionNodeFlags('worker');
    // Not --optimize-for-size, which the gateway has: on the worker it halved the import's rate (docs/operations.md).
    // A heap limit per thread, which the worker checks WORKER_CACHED_WORKFLOWS against at start.
    assert.deepEqual(flags, ['--max-semi-space-size=4', '--max-old-space-size=384', '--require=./dist/src/temporal/worker-preload.js']);
    const allocator = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };
    assert.deepEqual(productionNodeEnv('worker'), allocator);
    for (const name of ['worker', 'import-worker']) {
      assert.deepEqual(services[name]!.command, ['node', ...flags, 'dist/src/worker.js'], `${name}: the built worker (prebuilt workflow bundle)`);
      for (const [variable, value] of Object.entries(allocator)) assert.equal(services[name]!.environment![variable], value, `${name}: ${variable}`);
    }
  });

  it('the cohort imports run in a worker of their own, as in the cluster: the replicas poll the registrations only, one import worker the imports', () => {
    assert.equal(services.worker!.environment!.WORKER_ROLE, 'registrations');
    assert.equal(services['import-worker']!.environment!.WORKER_ROLE, 'imports');
    assert.equal(services['import-worker']!.deploy?.replicas ?? 1, 1);
    assert.equal(services['import-worker']!.restart, 'unless-stopped');
  });

  it('S3 is SeaweedFS with the same storage settings and identity actions (no MinIO: AGPL)', () => {
    const s3 = services.s3!;
    assert.match(s3.image!, /^chrislusf\/seaweedfs:/);
    for (const s of Object.values(services)) assert.doesNotMatch(s.image ?? '', /minio/i);
    const start = fs.readFileSync(hostPathOf(s3, s3.entrypoint![1]!)!, 'utf8');
    for (const flag of WEED_SETTINGS) assert.ok(start.includes(flag), `start.sh lacks ${flag}`);
    const actions = (s3IdentityConfig({ accessKeyId: 'a', secretAccessKey: 's' }) as { identities: Array<{ actions: string[] }> }).identities[0]!.actions;
    assert.ok(start.includes(JSON.stringify(actions)), 'same S3 actions as the cluster');
  });

  it("SeaweedFS grows the gateways' bucket's volumes at start, as the cluster does, so that no upload waits for them", () => {
    const s3 = services.s3!;
    const start = fs.readFileSync(hostPathOf(s3, s3.entrypoint![1]!)!, 'utf8');
    assert.ok(start.includes(bucketVolumesPath('${S3_BUCKET}')), `start.sh asks the master for ${bucketVolumesPath('${S3_BUCKET}')}`);
    assert.equal(s3.environment!.S3_BUCKET, 'progreg-uploads');
    for (const name of ['gateway', 'worker']) assert.equal(services[name]!.environment!.S3_BUCKET, s3.environment!.S3_BUCKET, `${name}: the same bucket`);
  });

  it('no Temporal, PostgreSQL or S3 port is published, and no secret is written in the file', () => {
    for (const name of ['temporal', 'postgresql', 's3', 'worker', 'import-worker', 'temporal-schema', 'temporal-setup']) {
      assert.equal(services[name]!.ports, undefined, `${name} publishes a port`);
    }
    const raw = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        // A *_FILE names a mounted file (a TLS key's path), not a secret.
        if (/SECRET|PASSWORD|PWD|_KEY/.test(key) && !key.endsWith('_FILE'))
          assert.ok(String(value) === '' || raw.includes(`${key}: \${`), `${name}.${key} is not taken from .env`);
      }
    }
    assert.doesNotMatch(raw, /postgresql:\/\/[^:]+:(?!\$\{)[^@]+@/, 'a database password in a URL');
  });

  it('.env.example names every variable compose requires from .env', () => {
    const raw = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
    const example = fs.readFileSync(path.join(projectRoot, '.env.example'), 'utf8');
    const required = new Set([...raw.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!));
    assert.ok(required.has('POSTGRES_PASSWORD') && required.has('S3_SECRET_ACCESS_KEY'));
    for (const name of required) assert.match(example, new RegExp(`^${name}=$`, 'm'), `.env.example lacks ${name}=`);
  });
});
