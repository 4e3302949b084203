// The rules every workload of deploy/k8s follows, checked on the rendered output of every overlay:
// pinned images, resources, health probes on the admin ports, the restricted pod security profile,
// grace periods that cover each service's drain, the telemetry ConfigMap, and the wiring of the
// sidecar, the Services and the prober's targets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  allContainers,
  type Container,
  container,
  envOf,
  type K8sObject,
  named,
  ofKind,
  overlays,
  podsSelectedBy,
  render,
  requireKubectl,
  root,
  selects,
} from './render.ts';

/** Image → workspace whose package.json version is the image tag. */
const imageWorkspaces: Record<string, string> = {
  'sre-stack/server': 'server',
  'sre-stack/proxy': 'proxy',
  'sre-stack/prober': 'client',
};

// What each process takes to stop (runtime/src/lifecycle.ts): the drain, then the telemetry flush.
const DRAIN_SECONDS = 10;
const FLUSH_SECONDS = 3;

function version(workspace: string): string {
  return (JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** CPU in cores, memory in bytes. */
function quantity(text: string | number): number {
  const value = String(text);
  const units: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(value);
  assert.ok(match, `not a quantity: ${value}`);
  const unit = match[2] as string;
  assert.ok(unit === '' || unit in units, `unknown unit in ${value}`);
  return Number(match[1]) * (unit ? (units[unit] as number) : 1);
}

/** The ports a container's metrics/admin listener uses (named *metrics). */
function metricsPort(target: Container): number {
  const port = target.ports?.find((candidate) => candidate.name?.endsWith('metrics'));
  assert.ok(port, `${target.name}: a port named *metrics`);
  return port.containerPort;
}

function preStopSeconds(target: Container): number {
  return target.lifecycle?.preStop?.sleep?.seconds ?? 0;
}

const workloads = (overlay: string) => ofKind(render(`overlays/${overlay}`), 'Deployment');

for (const overlay of overlays) {
  describe(`overlays/${overlay}: every container`, () => {
    it('runs a pinned image of this project: registry/name:version, the version of its workspace', (t) => {
      if (!requireKubectl(t)) return;
      for (const workload of workloads(overlay)) {
        for (const target of allContainers(workload)) {
          const match = /^([a-z0-9.-]+(?::\d+)?)\/([a-z0-9._/-]+):([^:@]+)$/.exec(target.image);
          assert.ok(match, `${target.name}: ${target.image} is registry/name:tag`);
          const [, , name, tag] = match;
          assert.notEqual(tag, 'latest', target.image);
          const workspace = imageWorkspaces[name as string];
          assert.ok(workspace, `${target.image}: not one of ${Object.keys(imageWorkspaces).join(', ')}`);
          assert.equal(tag, version(workspace), `${target.image}: tag = ${workspace}/package.json version`);
        }
      }
    });

    it('requests and limits CPU and memory', (t) => {
      if (!requireKubectl(t)) return;
      for (const workload of workloads(overlay)) {
        for (const target of allContainers(workload)) {
          const { requests, limits } = target.resources ?? {};
          for (const resource of ['cpu', 'memory']) {
            assert.ok(
              requests?.[resource] && limits?.[resource],
              `${target.name}: ${resource} request and limit`,
            );
            assert.ok(
              quantity(requests[resource]) <= quantity(limits[resource]),
              `${target.name}: ${resource}`,
            );
          }
          // Measured: each Node process holds about 175 MB resident when idle (OTel SDK loaded).
          assert.ok(quantity(limits.memory) >= 256 * 2 ** 20, `${target.name}: memory limit leaves headroom`);
        }
      }
    });

    it('has startup, liveness (/healthz) and readiness (/readyz) probes on its admin port', (t) => {
      if (!requireKubectl(t)) return;
      for (const workload of workloads(overlay)) {
        for (const target of allContainers(workload)) {
          const port = metricsPort(target);
          const expected = { startupProbe: '/healthz', livenessProbe: '/healthz', readinessProbe: '/readyz' };
          for (const [probe, path] of Object.entries(expected)) {
            assert.deepEqual(target[probe]?.httpGet, { path, port }, `${target.name}: ${probe}`);
          }
        }
      }
    });

    it('meets the restricted pod security profile, read-only root filesystem included', (t) => {
      if (!requireKubectl(t)) return;
      for (const workload of workloads(overlay)) {
        const pod = workload.spec.template.spec;
        const where = workload.metadata.name;
        assert.equal(pod.securityContext?.runAsNonRoot, true, where);
        // The images say `USER node`: a name the kubelet cannot check, so the uid is set.
        assert.ok(
          Number.isInteger(pod.securityContext?.runAsUser) && pod.securityContext.runAsUser > 0,
          where,
        );
        assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', where);
        for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(pod[field], true, where);
        for (const volume of pod.volumes ?? []) {
          assert.ok(
            volume.configMap || volume.emptyDir,
            `${where}: volume ${volume.name} is a ConfigMap or emptyDir`,
          );
        }
        for (const target of allContainers(workload)) {
          const context = target.securityContext ?? {};
          const name = `${where}/${target.name}`;
          assert.equal(context.runAsNonRoot, true, name);
          assert.equal(context.readOnlyRootFilesystem, true, name);
          assert.equal(context.allowPrivilegeEscalation, false, name);
          assert.notEqual(context.privileged, true, name);
          assert.deepEqual(context.capabilities, { drop: ['ALL'] }, name);
          assert.equal(context.seccompProfile?.type, 'RuntimeDefault', name);
          for (const port of target.ports ?? []) assert.equal(port.hostPort, undefined, name);
          for (const mount of target.volumeMounts ?? []) {
            assert.equal(
              mount.subPath,
              undefined,
              `${name}: no subPath (it would never see ConfigMap updates)`,
            );
            const volume = pod.volumes.find((candidate: { name: string }) => candidate.name === mount.name);
            if (volume?.configMap) assert.equal(mount.readOnly, true, `${name}: ${mount.name} read-only`);
          }
        }
      }
    });

    it('keeps the pod away from the Kubernetes API and from Service-link variables', (t) => {
      if (!requireKubectl(t)) return;
      for (const workload of workloads(overlay)) {
        const pod = workload.spec.template.spec;
        assert.equal(pod.automountServiceAccountToken, false, workload.metadata.name);
        // A Service named proxy would inject PROXY_PORT=tcp://…, a variable the proxy reads.
        assert.equal(pod.enableServiceLinks, false, workload.metadata.name);
      }
    });

    it('takes its telemetry settings from the sre-stack-telemetry ConfigMap and names its service', (t) => {
      if (!requireKubectl(t)) return;
      const objects = render(`overlays/${overlay}`);
      for (const workload of workloads(overlay)) {
        for (const target of allContainers(workload)) {
          const references = (target.envFrom ?? []).map((source) => source.configMapRef?.name ?? '');
          assert.ok(
            references.some((name) => /^sre-stack-telemetry-[a-z0-9]{10}$/.test(name)),
            `${target.name}: envFrom sre-stack-telemetry`,
          );
          assert.ok(envOf(target, 'OTEL_SERVICE_NAME'), `${target.name}: OTEL_SERVICE_NAME`);
          // $(VAR) expands only variables defined above it in the list.
          const names = (target.env ?? []).map((variable) => variable.name);
          const attributes = envOf(target, 'OTEL_RESOURCE_ATTRIBUTES') ?? '';
          for (const [, name] of attributes.matchAll(/\$\((\w+)\)/g)) {
            assert.ok(names.indexOf(name as string) < names.indexOf('OTEL_RESOURCE_ATTRIBUTES'), name);
          }
        }
      }
      const telemetry = ofKind(objects, 'ConfigMap').find((object) =>
        object.metadata.name.startsWith('sre-stack-telemetry-'),
      );
      for (const key of Object.keys(telemetry?.data ?? {})) assert.match(key, /^(OTEL_|LOG_)/);
    });
  });
}

describe('flaky-server: the proxy as a sidecar', () => {
  const objects = () => render('overlays/demo');
  const server = () => named(objects(), 'Deployment', 'flaky-server');

  it('runs the proxy as a native sidecar: an init container with restartPolicy Always', (t) => {
    if (!requireKubectl(t)) return;
    const pod = server().spec.template.spec;
    assert.deepEqual(
      pod.initContainers.map((target: Container) => [target.name, target.restartPolicy]),
      [['proxy', 'Always']],
    );
    assert.match(container(server(), 'proxy').image, /\/sre-stack\/proxy:/);
    assert.deepEqual(
      pod.containers.map((target: Container) => target.name),
      ['server'],
    );
    assert.match(container(server(), 'server').image, /\/sre-stack\/server:/);
    // One process: a sidecar scales with its pod.
    assert.equal(envOf(container(server(), 'proxy'), 'PROXY_WORKERS'), '1');
  });

  it('sends every request of the public Service to the proxy, none past it', (t) => {
    if (!requireKubectl(t)) return;
    const proxyPorts = container(server(), 'proxy').ports?.map((port) => port.containerPort) ?? [];
    const serverServing = Number(envOf(container(server(), 'server'), 'SERVER_PORT'));
    const publicService = named(objects(), 'Service', 'flaky-server');
    assert.deepEqual(
      publicService.spec.ports.map((port: { port: number; targetPort: number }) => [
        port.port,
        port.targetPort,
      ]),
      [[80, 8000]],
    );
    assert.ok(proxyPorts.includes(8000));
    // Only the chaos Service reaches the server's own port.
    const direct = ofKind(objects(), 'Service').filter((service) =>
      service.spec.ports.some((port: { targetPort: number }) => port.targetPort === serverServing),
    );
    assert.deepEqual(
      direct.map((service) => service.metadata.name),
      ['flaky-server-chaos'],
    );
  });

  it("admits only the chaos prober to the server's own port (NetworkPolicy)", (t) => {
    if (!requireKubectl(t)) return;
    const policy = named(objects(), 'NetworkPolicy', 'flaky-server');
    assert.ok(selects(policy.spec.podSelector.matchLabels, server().spec.template.metadata.labels));
    assert.deepEqual(policy.spec.policyTypes, ['Ingress']);
    const open = policy.spec.ingress.filter((rule: { from?: unknown }) => rule.from === undefined);
    const openPorts = open.flatMap((rule: { ports: { port: number }[] }) =>
      rule.ports.map((port) => port.port),
    );
    assert.deepEqual(openPorts.sort(), [8000, 9101, 9102]);
    const chaosRule = policy.spec.ingress.find((rule: { from?: unknown }) => rule.from !== undefined);
    assert.deepEqual(chaosRule.ports, [{ port: 8080 }]);
    const admitted = podsSelectedBy(objects(), chaosRule.from[0].podSelector.matchLabels);
    assert.deepEqual(
      admitted.map((workload) => workload.metadata.name),
      ['prober'],
    );
  });

  it('drains in order: the server keeps accepting while endpoints update, the proxy outlives it', (t) => {
    if (!requireKubectl(t)) return;
    const pod = server().spec.template.spec;
    const app = container(server(), 'server');
    assert.equal(envOf(app, 'SERVER_DRAIN_TIMEOUT'), `${DRAIN_SECONDS}s`);
    assert.ok(preStopSeconds(app) >= 3, 'a preStop sleep while endpoints are removed');
    assert.equal(preStopSeconds(container(server(), 'proxy')), 0, 'the sidecar needs none: it stops last');
    const needed = preStopSeconds(app) + 2 * (DRAIN_SECONDS + FLUSH_SECONDS);
    assert.ok(pod.terminationGracePeriodSeconds >= needed, `grace period ≥ ${needed} s`);
  });

  it('rolls out without losing capacity, and a disruption budget keeps one pod up', (t) => {
    if (!requireKubectl(t)) return;
    assert.ok(server().spec.replicas >= 2);
    assert.deepEqual(server().spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
    const budget = named(objects(), 'PodDisruptionBudget', 'flaky-server');
    assert.equal(budget.spec.maxUnavailable, 1);
    assert.ok(selects(budget.spec.selector.matchLabels, server().spec.template.metadata.labels));
  });
});

/** The Service a URL's host names, and the container port its port leads to. */
function follow(
  objects: K8sObject[],
  url: string,
): { service: K8sObject; workload: K8sObject; container: string } {
  const parsed = new URL(url);
  const service = named(objects, 'Service', parsed.hostname);
  const port = Number(parsed.port || 80);
  const servicePort = service.spec.ports.find((candidate: { port: number }) => candidate.port === port);
  assert.ok(servicePort, `${url}: Service ${service.metadata.name} has no port ${port}`);
  const [workload] = podsSelectedBy(objects, service.spec.selector);
  assert.ok(workload, `${url}: no pods`);
  const target = allContainers(workload).find((candidate) =>
    candidate.ports?.some((containerPort) => containerPort.containerPort === servicePort.targetPort),
  );
  assert.ok(target, `${url}: no container listens on ${servicePort.targetPort}`);
  return { service, workload, container: target.name };
}

describe('the prober', () => {
  it('probes through the proxy (TARGET_URL) and sends chaos straight to the server (SERVER_URL)', (t) => {
    if (!requireKubectl(t)) return;
    const objects = render('overlays/demo');
    const prober = container(named(objects, 'Deployment', 'prober'), 'prober');
    const target = follow(objects, envOf(prober, 'TARGET_URL') ?? '');
    assert.equal(target.workload.metadata.name, 'flaky-server');
    assert.equal(target.container, 'proxy');
    const chaos = follow(objects, envOf(prober, 'SERVER_URL') ?? '');
    assert.equal(chaos.container, 'server');
  });

  it('reports where it runs: PROBER_LOCATION from the downward API', (t) => {
    if (!requireKubectl(t)) return;
    for (const workload of podsSelectedBy(render('overlays/multi-location'), {
      'app.kubernetes.io/name': 'prober',
    })) {
      const location = container(workload, 'prober').env?.find(
        (variable) => variable.name === 'PROBER_LOCATION',
      );
      assert.deepEqual(
        location?.valueFrom,
        { fieldRef: { fieldPath: 'spec.nodeName' } },
        workload.metadata.name,
      );
    }
  });

  it('runs the chaos actions from one pod only; observers scale without them', (t) => {
    if (!requireKubectl(t)) return;
    const objects = render('overlays/multi-location');
    const chaos = named(objects, 'Deployment', 'prober');
    assert.equal(chaos.spec.replicas, 1);
    assert.equal(chaos.spec.strategy.type, 'Recreate', 'never two chaos probers, even during a rollout');
    const observer = named(objects, 'Deployment', 'prober-observer');
    assert.ok(observer.spec.replicas > 1);
    assert.equal(envOf(container(observer, 'prober'), 'SERVER_URL'), undefined);
    assert.equal(observer.spec.template.metadata.labels['sre-stack/chaos'], 'false');
    const zones = observer.spec.template.spec.topologySpreadConstraints.map(
      (constraint: { topologyKey: string }) => constraint.topologyKey,
    );
    assert.deepEqual(zones, ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    assert.ok(
      podsSelectedBy(
        objects,
        named(objects, 'PodDisruptionBudget', 'prober-observer').spec.selector.matchLabels,
      ),
    );
  });

  it('stops within its grace period', (t) => {
    if (!requireKubectl(t)) return;
    for (const workload of podsSelectedBy(render('overlays/multi-location'), {
      'app.kubernetes.io/name': 'prober',
    })) {
      assert.ok(workload.spec.template.spec.terminationGracePeriodSeconds >= DRAIN_SECONDS + FLUSH_SECONDS);
    }
  });
});

describe('scraping', () => {
  it('annotates Services so every metrics port is scraped once, by annotation-based discovery', (t) => {
    if (!requireKubectl(t)) return;
    const objects = render('overlays/demo');
    const annotated = ofKind(objects, 'Service').filter(
      (service) => service.metadata.annotations?.['prometheus.io/scrape'] === 'true',
    );
    const scraped: number[] = [];
    for (const service of annotated) {
      const annotations = service.metadata.annotations ?? {};
      assert.equal(annotations['prometheus.io/path'], '/metrics');
      const ports = service.spec.ports.map((port: { targetPort: number }) => port.targetPort);
      // Without prometheus.io/port every port of the Service is a target.
      scraped.push(
        ...(annotations['prometheus.io/port'] ? [Number(annotations['prometheus.io/port'])] : ports),
      );
    }
    const metricsPorts = ofKind(objects, 'Deployment').flatMap((workload) =>
      allContainers(workload).map(metricsPort),
    );
    assert.deepEqual(scraped.sort(), [...new Set(metricsPorts)].sort());
    // Pods are not annotated as well: that would scrape them twice.
    for (const workload of ofKind(objects, 'Deployment')) {
      assert.equal(workload.spec.template.metadata.annotations?.['prometheus.io/scrape'], undefined);
    }
  });

  it('has ServiceMonitors for every metrics port, with the job names of compose', (t) => {
    if (!requireKubectl(t)) return;
    const objects = render('overlays/prometheus-operator');
    const jobs: Record<string, string> = {};
    for (const monitor of ofKind(objects, 'ServiceMonitor')) {
      assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
      const service = ofKind(objects, 'Service').find((candidate) =>
        selects(monitor.spec.selector.matchLabels, candidate.metadata.labels),
      );
      for (const endpoint of monitor.spec.endpoints) {
        const port = service?.spec.ports.find(
          (candidate: { name: string }) => candidate.name === endpoint.port,
        );
        const job = endpoint.relabelings.find((rule: { targetLabel: string }) => rule.targetLabel === 'job');
        jobs[job.replacement] = String(port.targetPort);
      }
    }
    assert.deepEqual(jobs, { 'flaky-server': '9101', proxy: '9102', prober: '9103' });
  });
});
