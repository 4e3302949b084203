// Every overlay renders, and every object it renders is one an API server would accept: the
// Kubernetes schemas (kubernetes-models), no unknown fields, the Prometheus Operator's CRDs by shape,
// and every name one object uses for another (ConfigMaps, selectors, ports) found in the output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import {
  allContainers,
  type K8sObject,
  ofKind,
  overlays,
  podsSelectedBy,
  render,
  requireKubectl,
  selects,
} from './render.ts';
import { modelDeclaration, unknownFields } from './strict-fields.ts';

const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

const expectedKinds: Record<string, string[]> = {
  base: ['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service'],
  demo: ['ConfigMap', 'Deployment', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Service'],
  'prometheus-operator': [
    'ConfigMap',
    'Deployment',
    'Namespace',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'PrometheusRule',
    'Service',
    'ServiceMonitor',
  ],
  'multi-location': [
    'ConfigMap',
    'Deployment',
    'Namespace',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Service',
  ],
};

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

function keysWithin(value: object, allowed: string[], where: string): void {
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  assert.deepEqual(extra, [], `${where}: unknown fields`);
}

/** The Prometheus Operator's ServiceMonitor, by the fields this project uses. */
function checkServiceMonitor(monitor: K8sObject): void {
  const where = `ServiceMonitor ${monitor.metadata.name}`;
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1', where);
  keysWithin(monitor.spec, ['selector', 'endpoints', 'namespaceSelector', 'jobLabel'], where);
  assert.ok(Object.keys(monitor.spec.selector?.matchLabels ?? {}).length > 0, `${where}: a label selector`);
  assert.ok(
    Array.isArray(monitor.spec.endpoints) && monitor.spec.endpoints.length > 0,
    `${where}: endpoints`,
  );
  for (const endpoint of monitor.spec.endpoints) {
    keysWithin(endpoint, ['port', 'path', 'interval', 'scheme', 'relabelings', 'metricRelabelings'], where);
    assert.equal(typeof endpoint.port, 'string', `${where}: endpoints name a Service port`);
    assert.match(endpoint.path, /^\//, where);
    assert.match(endpoint.interval, DURATION, where);
    for (const relabeling of endpoint.relabelings ?? []) {
      keysWithin(
        relabeling,
        ['sourceLabels', 'targetLabel', 'replacement', 'action', 'regex', 'separator'],
        where,
      );
    }
  }
}

/** PrometheusRule: groups of recording and alerting rules, as in a Prometheus rule file. */
function checkPrometheusRule(rule: K8sObject): void {
  const where = `PrometheusRule ${rule.metadata.name}`;
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1', where);
  keysWithin(rule.spec, ['groups'], where);
  assert.ok(rule.spec.groups.length > 0, `${where}: groups`);
  for (const group of rule.spec.groups) {
    keysWithin(group, ['name', 'interval', 'rules', 'limit'], where);
    assert.equal(typeof group.name, 'string', where);
    for (const entry of group.rules) {
      keysWithin(
        entry,
        ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'],
        where,
      );
      assert.ok((entry.record === undefined) !== (entry.alert === undefined), `${where}: record or alert`);
      assert.equal(typeof entry.expr, 'string', where);
      if (entry.for !== undefined) assert.match(entry.for, DURATION, where);
    }
  }
}

describe('deploy/k8s renders and validates', () => {
  // The base too: it can be applied on its own, into a namespace of one's choice.
  for (const folder of ['base', ...overlays.map((overlay) => `overlays/${overlay}`)]) {
    const overlay = folder.replace('overlays/', '');
    describe(folder, () => {
      it('renders with kubectl kustomize, with the expected kinds', (t) => {
        if (!requireKubectl(t)) return;
        const kinds = [...new Set(render(folder).map((object) => object.kind))].sort();
        assert.deepEqual(kinds, expectedKinds[overlay]);
      });

      it('has only objects the Kubernetes schemas accept, with no unknown fields', (t) => {
        if (!requireKubectl(t)) return;
        for (const object of render(folder)) {
          const key = `${object.apiVersion}/${object.kind}`;
          const where = `${object.kind} ${object.metadata.name}`;
          if (object.kind === 'ServiceMonitor') checkServiceMonitor(object);
          else if (object.kind === 'PrometheusRule') checkPrometheusRule(object);
          else {
            const Model = models[key];
            assert.ok(Model, `${where}: no schema for ${key}`);
            assert.doesNotThrow(() => new Model(object as never).validate(), where);
            assert.deepEqual(
              unknownFields(object, modelDeclaration(object.apiVersion, object.kind)),
              [],
              where,
            );
          }
        }
      });

      it(
        folder === 'base' ? 'leaves the namespace to the user' : 'puts everything in the sre-stack namespace',
        (t) => {
          if (!requireKubectl(t)) return;
          for (const object of render(folder)) {
            if (folder === 'base') {
              assert.equal(object.metadata.namespace, undefined);
              continue;
            }
            if (object.kind === 'Namespace') assert.equal(object.metadata.name, 'sre-stack');
            else
              assert.equal(object.metadata.namespace, 'sre-stack', `${object.kind} ${object.metadata.name}`);
          }
        },
      );

      it('refers only to ConfigMaps, pods and ports that exist', (t) => {
        if (!requireKubectl(t)) return;
        const objects = render(folder);
        const configMaps = new Set(ofKind(objects, 'ConfigMap').map((object) => object.metadata.name));
        for (const workload of ofKind(objects, 'Deployment')) {
          const pod = workload.spec.template.spec;
          assert.ok(selects(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels));
          for (const volume of pod.volumes ?? []) {
            if (volume.configMap) assert.ok(configMaps.has(volume.configMap.name), volume.configMap.name);
          }
          for (const target of allContainers(workload)) {
            for (const source of target.envFrom ?? []) {
              assert.ok(configMaps.has(source.configMapRef?.name ?? ''), `${target.name}: envFrom`);
            }
            for (const mount of target.volumeMounts ?? []) {
              assert.ok(
                pod.volumes.some((volume: { name: string }) => volume.name === mount.name),
                `${target.name}: volume ${mount.name}`,
              );
            }
          }
        }
        for (const service of ofKind(objects, 'Service')) {
          const pods = podsSelectedBy(objects, service.spec.selector);
          assert.ok(pods.length > 0, `Service ${service.metadata.name} selects no pods`);
          for (const port of service.spec.ports) {
            assert.equal(
              typeof port.targetPort,
              'number',
              `Service ${service.metadata.name}: numeric targetPort`,
            );
            for (const workload of pods) {
              const ports = allContainers(workload).flatMap((target) => target.ports ?? []);
              assert.ok(
                ports.some((candidate) => candidate.containerPort === port.targetPort),
                `Service ${service.metadata.name} port ${port.targetPort} is no port of ${workload.metadata.name}`,
              );
            }
          }
        }
        for (const budget of ofKind(objects, 'PodDisruptionBudget')) {
          assert.ok(
            podsSelectedBy(objects, budget.spec.selector.matchLabels).length > 0,
            budget.metadata.name,
          );
        }
        for (const policy of ofKind(objects, 'NetworkPolicy')) {
          assert.ok(podsSelectedBy(objects, policy.spec.podSelector.matchLabels).length > 0);
          for (const rule of policy.spec.ingress) {
            for (const peer of rule.from ?? []) {
              assert.ok(podsSelectedBy(objects, peer.podSelector.matchLabels).length > 0, 'ingress peer');
            }
          }
        }
        for (const monitor of ofKind(objects, 'ServiceMonitor')) {
          const services = ofKind(objects, 'Service').filter((service) =>
            selects(monitor.spec.selector.matchLabels, service.metadata.labels),
          );
          assert.equal(services.length, 1, `ServiceMonitor ${monitor.metadata.name} selects one Service`);
          const portNames = services[0]?.spec.ports.map((port: { name: string }) => port.name);
          for (const endpoint of monitor.spec.endpoints) assert.ok(portNames.includes(endpoint.port));
        }
      });
    });
  }

  it('rejects a misspelt field at any depth (the unknown-field check itself)', (t) => {
    if (!requireKubectl(t)) return;
    const deployment = structuredClone(ofKind(render('overlays/demo'), 'Deployment')[0]) as K8sObject;
    const server = deployment.spec.template.spec.containers[0];
    server.readinesProbe = {};
    server.lifecycle.preStop.sleep.second = 5;
    deployment.spec.template.spec.initContainers[0].securityContext.capabilties = {};
    assert.deepEqual(unknownFields(deployment, modelDeclaration('apps/v1', 'Deployment')).sort(), [
      'spec.template.spec.containers[0].lifecycle.preStop.sleep.second',
      'spec.template.spec.containers[0].readinesProbe',
      'spec.template.spec.initContainers[0].securityContext.capabilties',
    ]);
  });
});
