/**
 * No Docker engine runs where these tests run, so the Docker path is checked statically:
 * the compose file, the Dockerfiles and .env.example must agree with what the code reads.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadBalancerConfig } from '../../src/balancer/config.js';
import { NODE_FLAGS } from '../../scripts/lib/managed-process.js';
import { loadWorkerConfig } from '../../src/worker/config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The environment variables a config loader reads, found by handing it a recording env. */
function variablesReadBy(load: (env: Record<string, string | undefined>) => unknown): Set<string> {
  const seen = new Set<string>();
  load(new Proxy({}, { get: (_target, key) => (typeof key === 'string' && seen.add(key), undefined) }));
  return seen;
}
const balancerVars = variablesReadBy(loadBalancerConfig);
const workerVars = variablesReadBy(loadWorkerConfig);

interface Service {
  container_name?: string;
  hostname?: string;
  scale?: number;
  build?: { dockerfile?: string };
  ports?: string[];
  environment?: Record<string, string>;
  stop_grace_period?: string;
  volumes?: string[];
}
/** The environment as compose would pass it when nothing is set: `${VAR:-default}` is the default. */
const defaults = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('when read, then it has loadbalancer, server1 and server2 under those container names', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['loadbalancer', 'server1', 'server2', 'worker']);
    for (const name of ['loadbalancer', 'server1', 'server2']) expect(compose.services[name]!.container_name).toBe(name);
  });

  it('when read, then the scalable worker has no fixed name or address, starts none by default, and may register', () => {
    const worker = compose.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.scale).toBe(0);
    expect(worker.environment).toMatchObject({ ADVERTISED_URL: 'auto', BALANCER_URL: 'http://loadbalancer:9000' });
    expect(worker.environment?.SERVER_NAME).toBeUndefined();
    expect(compose.services.loadbalancer!.environment?.ALLOWED_SERVER_HOSTS).toContain('server1,server2,worker');
  });

  it('when read, then the balancer publishes port 9000 and listens on it', () => {
    const lb = compose.services.loadbalancer!;
    expect(lb.ports).toEqual(['9000:9000']);
    expect(lb.environment?.PORT).toBe('9000');
    expect(lb.build?.dockerfile).toBe('Dockerfile.balancer');
  });

  it.each(['server1', 'server2'])('when read, then %s advertises http://<name>:5000 and registers with the balancer', (name) => {
    const service = compose.services[name]!;
    expect(service.build?.dockerfile).toBe('Dockerfile.server');
    expect(service.environment).toMatchObject({
      PORT: '5000',
      SERVER_NAME: name,
      ADVERTISED_URL: `http://${name}:5000`,
      BALANCER_URL: 'http://loadbalancer:9000',
    });
    expect(loadWorkerConfig(defaults(service.environment ?? {}))).toMatchObject({ advertisedUrl: `http://${name}:5000`, port: 5000 });
  });

  it('when read, then every variable it sets is one the program reads, and the values are valid', () => {
    const lbEnv = compose.services.loadbalancer!.environment ?? {};
    for (const key of Object.keys(lbEnv)) expect(balancerVars, `loadbalancer sets ${key}`).toContain(key);
    expect(() => loadBalancerConfig(defaults(lbEnv))).not.toThrow();
    for (const name of ['server1', 'server2']) {
      const env = compose.services[name]!.environment ?? {};
      for (const key of Object.keys(env)) expect(workerVars, `${name} sets ${key}`).toContain(key);
      expect(() => loadWorkerConfig(defaults(env))).not.toThrow();
    }
  });

  it('when compose mounts a volume into a service, then its image makes that directory, owned by the user it runs as', () => {
    // A new named volume takes its owner from the image's directory; a root-owned one is unwritable.
    for (const [name, service] of Object.entries(compose.services)) {
      const final = read(service.build?.dockerfile ?? '').split(/^FROM /m).at(-1) ?? '';
      const user = /^USER (\S+)/m.exec(final)?.[1];
      for (const volume of service.volumes ?? []) {
        const target = volume.split(':')[1] ?? '';
        const escaped = target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(final, `${name} mounts ${target}`).toMatch(new RegExp(`^RUN .*chown ${user}:${user} ${escaped}\\s*$`, 'm'));
      }
    }
  });

  it('when a container with a volume is made again (make build, a kill), then it has the same host name, which the job journal lock knows its owner by', () => {
    const withVolumes = Object.entries(compose.services).filter(([, service]) => (service.volumes ?? []).length > 0);
    expect(withVolumes.map(([name]) => name)).toEqual(['loadbalancer']);
    for (const [name, service] of withVolumes) expect(service.hostname, name).toBe(name);
  });

  it('when a container is stopped, then it gets longer than SHUTDOWN_TIMEOUT_MS to drain', () => {
    for (const service of Object.values(compose.services)) {
      const grace = Number.parseInt(service.stop_grace_period ?? '10s', 10) * 1000;
      expect(grace).toBeGreaterThan(Number(service.environment?.SHUTDOWN_TIMEOUT_MS ?? 10_000));
    }
  });
});

describe.each([
  ['Dockerfile.balancer', 'balancer', '9000'],
  ['Dockerfile.server', 'worker', '5000'],
] as const)('%s', (file, program, port) => {
  const text = read(file);
  const stages = text.split(/^FROM /m).slice(1);
  const final = stages.at(-1) ?? '';

  it('when built, then it is multi-stage and installs with npm ci', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/RUN npm ci\b/);
    expect(text).toMatch(/npm ci --omit=dev/);
  });

  it('when run, then the final image runs compiled JavaScript with node as a non-root user', () => {
    expect(final).toMatch(new RegExp(`^CMD \\["node", (?:"--[\\w-]+=\\w+", )*"dist/src/${program}/main\\.js"\\]`, 'm'));
    expect(final).toMatch(/^USER (?!root)\w+/m);
    expect(final).not.toMatch(/tsx|npm start|npm run/);
    expect(final).toMatch(/COPY --from=\w+ \/app\/node_modules/);
  });

  it('when run, then node gets the same flags as under npm start and npm run start:<program>', () => {
    const flags = NODE_FLAGS[program];
    const cmd = /^CMD \[(.*)\]$/m.exec(final)?.[1] ?? '';
    expect(cmd).toBe(['node', ...flags, `dist/src/${program}/main.js`].map((part) => JSON.stringify(part)).join(', '));
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts[`start:${program}`]).toBe(['node', ...flags, `dist/src/${program}/main.js`].join(' '));
  });

  it('when run, then it exposes its port and has a HEALTHCHECK on /health_check', () => {
    expect(final).toContain(`EXPOSE ${port}`);
    expect(final).toMatch(/HEALTHCHECK[\s\S]*\/health_check/);
  });
});

describe('base image', () => {
  const dockerfiles = ['Dockerfile.balancer', 'Dockerfile.server'];
  const imageOf = (file: string) => /^ARG NODE_IMAGE=(\S+)$/m.exec(read(file))?.[1];

  it('when built, then both Dockerfiles build every stage FROM the current LTS, node:24-bookworm-slim', () => {
    for (const file of dockerfiles) {
      expect(imageOf(file), file).toBe('node:24-bookworm-slim');
      const froms = [...read(file).matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
      expect(froms.length, file).toBeGreaterThan(0);
      for (const from of froms) expect(from, file).toBe('${NODE_IMAGE}');
    }
  });

  it('when the Docker e2e runs, then its base image (and stand-in) is the tag read from the Dockerfiles, not one of its own', () => {
    const script = read('scripts/docker-e2e.sh');
    const code = script.split('\n').filter((line) => !line.trim().startsWith('#'));
    expect(code.join('\n')).toMatch(/^BASE_IMAGE=.*Dockerfile\.(balancer|server)/m);
    expect(script).toContain('ARG NODE_IMAGE=');
    expect(code.filter((line) => /\bnode:\d/.test(line))).toEqual([]);
  });
});

describe('.dockerignore and .env.example', () => {
  it('when building, then node_modules, dist, logs and .env stay out of the context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', 'logs', '.env']) expect(ignored).toContain(entry);
  });

  it('when a user reads .env.example, then every variable either program reads is listed', () => {
    const listed = new Set([...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    for (const key of [...balancerVars, ...workerVars]) expect(listed, `.env.example lists ${key}`).toContain(key);
  });
});
