// Renders the kustomizations under deploy/k8s with the kubectl on this machine (no cluster needed) and
// gives the tests typed views of what comes out.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const k8sDir = join(root, 'deploy', 'k8s');
export const overlays = ['demo', 'prometheus-operator', 'multi-location'];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field, then by schema
  spec?: any;
  data?: Record<string, string>;
}

export interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  // biome-ignore lint/suspicious/noExplicitAny: probes, resources and the rest are checked by shape
  [field: string]: any;
}

const KUBECTL = '/usr/bin/kubectl';

function kubectlPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  return spawnSync(KUBECTL, ['version', '--client'], { stdio: 'ignore' }).status === 0 ? KUBECTL : undefined;
}

const kubectl = kubectlPath();

/**
 * True when kubectl (with its built-in kustomize) is there. Otherwise fails under CI=true and skips
 * elsewhere, saying why: no test is skipped silently.
 */
export function requireKubectl(t: TestContext): boolean {
  if (kubectl) return true;
  const reason = 'kubectl is not installed (it renders the kustomizations; any kubectl 1.27+ will do)';
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must provide it`);
  t.skip(reason);
  return false;
}

const rendered = new Map<string, K8sObject[]>();

/** `kubectl kustomize DIR`, parsed; DIR relative to deploy/k8s or absolute. Cached per folder. */
export function render(folder: string): K8sObject[] {
  const directory = folder.startsWith('/') ? folder : join(k8sDir, folder);
  const cached = rendered.get(directory);
  if (cached) return cached;
  if (!kubectl) throw new Error('kubectl is not installed');
  const result = spawnSync(kubectl, ['kustomize', directory], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${folder} failed (${result.status}):\n${result.stderr}`);
  }
  const objects = parseAllDocuments(result.stdout).map((document) => {
    if (document.errors.length > 0) throw new Error(`${folder}: ${document.errors[0]?.message}`);
    return document.toJS() as K8sObject;
  });
  rendered.set(directory, objects);
  return objects;
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered output`);
  return found;
}

/** A ConfigMap by the name it has before kustomize appends the content hash. */
export function configMap(objects: K8sObject[], name: string): K8sObject {
  const found = ofKind(objects, 'ConfigMap').find(
    (object) =>
      object.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name),
  );
  if (!found) throw new Error(`no ConfigMap ${name} in the rendered output`);
  return found;
}

/** Regular containers and init containers, sidecars included. */
export function allContainers(workload: K8sObject): Container[] {
  const pod = workload.spec.template.spec;
  return [...(pod.initContainers ?? []), ...pod.containers];
}

export function container(workload: K8sObject, name: string): Container {
  const found = allContainers(workload).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`${workload.metadata.name} has no container ${name}`);
  return found;
}

export function envOf(target: Container, name: string): string | undefined {
  return target.env?.find((variable) => variable.name === name)?.value;
}

export function selects(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The workloads whose pods a label selector picks. */
export function podsSelectedBy(objects: K8sObject[], selector: Record<string, string>): K8sObject[] {
  return ofKind(objects, 'Deployment').filter((workload) =>
    selects(selector, workload.spec.template.metadata.labels),
  );
}
