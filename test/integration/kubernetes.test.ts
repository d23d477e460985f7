import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadBalancerConfig } from '../../src/balancer/config.js';
import { loadWorkerConfig } from '../../src/worker/config.js';

const DIR = join(import.meta.dirname, '../../deploy/kubernetes');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
  resources: string[];
  labels: Array<{ pairs: Record<string, string> }>;
} & Record<string, unknown>;

/** What `kustomize build` makes of this base: every resource, with the common labels added. */
const rendered: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    const manifest = doc.toJS() as Manifest;
    manifest.metadata.labels = { ...manifest.metadata.labels, ...Object.assign({}, ...kustomization.labels.map((l) => l.pairs)) };
    return manifest;
  }),
);

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

function find(kind: string, name: string): Manifest {
  const found = rendered.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

type EnvVar = { name: string; value?: string; valueFrom?: Record<string, Record<string, string>> };
type Container = {
  name: string;
  ports: Array<{ name: string; containerPort: number }>;
  env: EnvVar[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type PodSpec = { containers: Container[]; terminationGracePeriodSeconds: number; volumes?: Array<{ name: string }> };

const podOf = (name: string) => {
  const spec = find('Deployment', name).spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  return { labels: spec.template.metadata.labels, selector: spec.selector.matchLabels, pod: spec.template.spec, container: spec.template.spec.containers[0]! };
};

/** The container's environment as the kubelet gives it: downward-API and Secret values stood in. */
function envOf(container: Container, stand: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of container.env) {
    const value = v.value ?? stand[v.name];
    if (value === undefined) throw new Error(`no stand-in for ${v.name}`);
    env[v.name] = value.replace(/\$\(([A-Z_]+)\)/g, (_, ref: string) => env[ref] ?? '');
  }
  return env;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/kubernetes (validated against the Kubernetes API schemas, not run on a cluster)', () => {
  it('when rendered, then the kustomization lists every manifest in the folder and uses nothing but resources and labels', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(Object.keys(kustomization).sort()).toEqual(['apiVersion', 'kind', 'labels', 'resources']);
  });

  it('when every object is checked against its API schema, then each is valid', () => {
    expect(rendered.length).toBe(7);
    for (const manifest of rendered) {
      const Model = MODELS[`${manifest.apiVersion} ${manifest.kind}`];
      expect(Model, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest as never).validate(), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
    }
  });

  it('when an object breaks its schema, then the check says so (the check can fail)', () => {
    const broken = structuredClone(find('Deployment', 'distcalc-worker'));
    (broken.spec as { replicas: unknown }).replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('when read, then two balancers are reached by clients through one Service and by workers through a headless one', () => {
    const balancer = podOf('distcalc-balancer');
    expect((find('Deployment', 'distcalc-balancer').spec as { replicas: number }).replicas).toBe(2);
    for (const name of ['distcalc', 'distcalc-balancers']) {
      const spec = find('Service', name).spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string }> };
      expect(matches(spec.selector, balancer.labels)).toBe(true);
      expect(spec.ports).toEqual([expect.objectContaining({ port: 9000, targetPort: 'http' })]);
    }
    expect(find('Service', 'distcalc-balancers').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    // A job lives on the balancer that took it: a client's next request finds it there.
    expect(find('Service', 'distcalc').spec).toMatchObject({ sessionAffinity: 'ClientIP' });
    const worker = envOf(podOf('distcalc-worker').container, { POD_IP: '10.1.2.3', SERVER_NAME: 'distcalc-worker-abc', CAPACITY: '2', REGISTRATION_TOKEN: 'x'.repeat(32) });
    expect(worker.BALANCER_URL).toBe('http://distcalc-balancers:9000');
  });

  it('when the programs read the environment the manifests give them, then both accept it and the worker advertises its pod IP', () => {
    const token = 'x'.repeat(32);
    const worker = loadWorkerConfig(envOf(podOf('distcalc-worker').container, { POD_IP: '10.1.2.3', SERVER_NAME: 'distcalc-worker-abc', CAPACITY: '2', REGISTRATION_TOKEN: token }));
    expect(worker).toMatchObject({ advertisedUrl: 'http://10.1.2.3:5000', name: 'distcalc-worker-abc', capacity: 2, registrationToken: token, port: 5000 });
    const balancer = loadBalancerConfig(envOf(podOf('distcalc-balancer').container, { REGISTRATION_TOKEN: token }));
    expect(balancer).toMatchObject({ port: 9000, dataDir: '/app/data', registrationToken: token });
    const valueFrom = (c: Container, name: string) => c.env.find((v) => v.name === name)?.valueFrom;
    for (const name of ['distcalc-worker', 'distcalc-balancer']) {
      expect(valueFrom(podOf(name).container, 'REGISTRATION_TOKEN')).toEqual({ secretKeyRef: { name: 'distcalc-registration', key: 'token' } });
    }
    expect(valueFrom(podOf('distcalc-worker').container, 'POD_IP')).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
  });

  it('when read, then both programs are probed on /health_check at their own port and have resource requests', () => {
    for (const name of ['distcalc-balancer', 'distcalc-worker']) {
      const { container, labels, selector } = podOf(name);
      expect(matches(selector, labels)).toBe(true);
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(probe.httpGet).toEqual({ path: '/health_check', port: 'http' });
      }
      expect(container.ports.map((p) => p.name)).toContain('http');
      expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
    }
  });

  it('when a worker or a balancer is taken away, then preStop waits for the endpoints to drop it and the grace period covers its drain', () => {
    const stand = { POD_IP: '10.1.2.3', SERVER_NAME: 'w', CAPACITY: '2', REGISTRATION_TOKEN: 'x'.repeat(32) };
    for (const name of ['distcalc-worker', 'distcalc-balancer']) {
      const { pod, container } = podOf(name);
      const env = envOf(container, stand);
      const [command, seconds] = container.lifecycle?.preStop?.exec?.command ?? [];
      expect(command).toBe('sleep');
      expect(Number(seconds)).toBeGreaterThan(0);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + Number(env.SHUTDOWN_TIMEOUT_MS) / 1000);
    }
  });

  it('when the autoscaler scales the workers, then the Deployment has no replica count of its own that an apply would reset', () => {
    const target = (find('HorizontalPodAutoscaler', 'distcalc-worker').spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name;
    expect(find('Deployment', target).spec).not.toHaveProperty('replicas');
  });

  it('when a balancer starts, then it is ready for clients only after the workers have looked it up again', () => {
    const { container } = podOf('distcalc-balancer');
    const worker = loadWorkerConfig(envOf(podOf('distcalc-worker').container, { POD_IP: '10.1.2.3', SERVER_NAME: 'w', CAPACITY: '2', REGISTRATION_TOKEN: 'x'.repeat(32) }));
    const delay = (container.readinessProbe as { initialDelaySeconds?: number }).initialDelaySeconds ?? 0;
    // A lookup just before the pod is listed, the next one an interval later, and CoreDNS's
    // cache of headless answers (5 s) in between.
    expect(delay * 1000).toBeGreaterThan(worker.announceIntervalMs + 5_000);
  });

  it('when read, then the disruption budgets keep a balancer and a worker, and the autoscaler scales the workers on CPU', () => {
    for (const [pdb, deployment] of [['distcalc-balancer', 'distcalc-balancer'], ['distcalc-worker', 'distcalc-worker']] as const) {
      const spec = find('PodDisruptionBudget', pdb).spec as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
      expect(spec.minAvailable).toBe(1);
      expect(matches(spec.selector.matchLabels, podOf(deployment).labels)).toBe(true);
    }
    const hpa = find('HorizontalPodAutoscaler', 'distcalc-worker').spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      metrics: Array<{ resource: { name: string } }>;
    };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'distcalc-worker' });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
    expect(podOf('distcalc-worker').container.resources.requests.cpu).toBeDefined();
  });

  it("when read, then the balancer's job journal is on a volume", () => {
    const { pod, container } = podOf('distcalc-balancer');
    const mount = container.volumeMounts?.find((m) => m.mountPath === '/app/data');
    expect(mount).toBeDefined();
    expect(pod.volumes?.map((v) => v.name)).toContain(mount!.name);
  });
});
