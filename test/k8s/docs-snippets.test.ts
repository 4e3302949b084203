// The overlays docs/kubernetes.md tells users to write (each YAML block after a `<!-- tested: NAME -->`
// marker) render, and do what the page says they do. Each is written into a temporary folder, its
// relative paths resolved as if it lived in deploy/k8s/overlays/NAME.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  allContainers,
  configMap,
  container,
  envOf,
  type K8sObject,
  k8sDir,
  named,
  ofKind,
  render,
  requireKubectl,
  root,
} from './render.ts';

const page = readFileSync(join(root, 'docs', 'kubernetes.md'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'sre-stack-k8s-docs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function snippet(name: string): string {
  const match = new RegExp(`<!-- tested: ${name} -->\\s*\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(page);
  assert.ok(match, `docs/kubernetes.md has no yaml block marked "tested: ${name}"`);
  return match[1] as string;
}

/** Renders a documented overlay as if it were deploy/k8s/overlays/NAME. */
function renderSnippet(name: string): K8sObject[] {
  const home = join(k8sDir, 'overlays', name);
  const folder = join(scratch, name);
  // kustomize takes no absolute paths: point from the scratch folder to where the path leads.
  const text = snippet(name).replace(
    /^(\s*- )(\.\.\/\S+)$/gm,
    (_, prefix, path) => prefix + relative(folder, resolve(home, path)),
  );
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'kustomization.yaml'), text);
  return render(folder);
}

describe('docs/kubernetes.md overlays', () => {
  it('images: one overlay moves every image to another registry', (t) => {
    if (!requireKubectl(t)) return;
    const objects = renderSnippet('images');
    const images = ofKind(objects, 'Deployment').flatMap((workload) =>
      allContainers(workload).map((target) => target.image),
    );
    assert.ok(images.length >= 4);
    for (const image of images)
      assert.match(image, /^ghcr\.io\/your-org\/sre-stack-(server|proxy|prober):0\.1\.0$/);
  });

  it('region: observers only, probing the public address with a fixed location', (t) => {
    if (!requireKubectl(t)) return;
    const objects = renderSnippet('region');
    assert.equal(named(objects, 'Deployment', 'flaky-server').spec.replicas, 0);
    assert.equal(named(objects, 'Deployment', 'prober').spec.replicas, 0);
    const observer = named(objects, 'Deployment', 'prober-observer');
    assert.equal(observer.spec.replicas, 2);
    const prober = container(observer, 'prober');
    assert.equal(envOf(prober, 'TARGET_URL'), 'https://flaky-server.example.com');
    const location = prober.env?.find((variable) => variable.name === 'PROBER_LOCATION');
    assert.deepEqual(location, { name: 'PROBER_LOCATION', value: 'eu-west-1' });
    // The rest of the container is untouched by the patch.
    assert.ok(envOf(prober, 'PROBER_CONFIG'));
    assert.equal(prober.readinessProbe.httpGet.path, '/readyz');
  });

  it('collector: telemetry to one OTLP endpoint, logs included', (t) => {
    if (!requireKubectl(t)) return;
    const objects = renderSnippet('collector');
    const telemetry = configMap(objects, 'sre-stack-telemetry').data ?? {};
    assert.equal(
      telemetry.OTEL_EXPORTER_OTLP_ENDPOINT,
      'http://k8s-monitoring-alloy-receiver.monitoring.svc:4318',
    );
    assert.equal(telemetry.OTEL_LOGS_EXPORTER, 'otlp');
    assert.equal(telemetry.LOG_LEVEL, 'info', 'merged into the base values, not replacing them');
    for (const object of objects) assert.equal(object.metadata.namespace, 'apps');
    const reference = container(named(objects, 'Deployment', 'prober'), 'prober').envFrom?.[0]?.configMapRef
      ?.name;
    assert.equal(reference, configMap(objects, 'sre-stack-telemetry').metadata.name);
  });
});
