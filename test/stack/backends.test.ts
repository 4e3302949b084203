// Loki and Tempo configs carry what their current versions require (no binaries here to run them):
// Loki 3.7 single binary with tsdb + schema v13 and structured metadata for OTLP; Tempo 3.0 with no
// 2.x blocks, scoped overrides only, receivers on every interface, and the metrics generator
// writing to Prometheus.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readYaml } from './helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML walked by known paths; a wrong path fails its assertion.
type Yaml = Record<string, any>;

const compose = readYaml<Yaml>('docker-compose.yml');

describe('loki/loki.yaml (Loki 3.7)', () => {
  const loki = readYaml<Yaml>('loki', 'loki.yaml');

  it('runs single-tenant on port 3100, where the services send OTLP logs', () => {
    assert.equal(loki.auth_enabled, false);
    assert.equal(loki.server.http_listen_port, 3100);
    for (const service of ['server', 'proxy', 'client']) {
      assert.equal(
        compose.services[service].environment.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
        'http://loki:3100/otlp/v1/logs',
      );
    }
  });

  it('stores its index in tsdb with schema v13, which structured metadata needs', () => {
    const configs = loki.schema_config.configs as Yaml[];
    const current = configs.at(-1);
    assert.equal(current?.store, 'tsdb');
    assert.equal(current?.schema, 'v13');
    assert.equal(current?.object_store, 'filesystem');
    assert.notEqual(loki.limits_config?.allow_structured_metadata, false);
  });

  it('keeps every path inside the named volume', () => {
    const mount = (compose.services.loki.volumes as string[]).find((volume) =>
      volume.startsWith('loki-data:'),
    );
    const dataDir = mount?.split(':')[1] ?? '';
    assert.equal(dataDir, '/loki');
    assert.ok(loki.common.path_prefix.startsWith(dataDir));
    for (const path of Object.values(loki.common.storage.filesystem) as string[])
      assert.ok(path.startsWith(dataDir));
    assert.ok(loki.compactor.working_directory.startsWith(dataDir));
  });

  it('deletes old data only with a delete-request store, as retention requires', () => {
    if (loki.compactor?.retention_enabled) assert.ok(loki.compactor.delete_request_store);
  });

  it('ships no promtail: the services push logs over OTLP', () => {
    assert.ok(!('promtail' in compose.services));
  });
});

describe('tempo/tempo.yaml (Tempo 3.0)', () => {
  const tempo = readYaml<Yaml>('tempo', 'tempo.yaml');

  it('has none of the 2.x blocks that 3.0 refuses', () => {
    for (const removed of [
      'ingester',
      'ingester_client',
      'compactor',
      'metrics_generator_client',
      'query_frontend_client',
    ]) {
      assert.ok(!(removed in tempo), `no ${removed} block`);
    }
    assert.ok(!tempo.metrics_generator?.processor?.local_blocks, 'no local_blocks processor');
  });

  it('uses scoped overrides only (3.0 disables the legacy flat format)', () => {
    const allowedTop = [
      'defaults',
      'per_tenant_override_config',
      'per_tenant_override_period',
      'user_configurable_overrides',
    ];
    for (const key of Object.keys(tempo.overrides)) assert.ok(allowedTop.includes(key), `overrides.${key}`);
    const scoped = [
      'ingestion',
      'read',
      'compaction',
      'metrics_generator',
      'forwarders',
      'global',
      'storage',
      'cost_attribution',
    ];
    for (const key of Object.keys(tempo.overrides.defaults))
      assert.ok(scoped.includes(key), `overrides.defaults.${key}`);
    assert.notEqual(tempo.overrides.enable_legacy_overrides, true);
  });

  it('receives OTLP on every interface, not only localhost', () => {
    const protocols = tempo.distributor.receivers.otlp.protocols;
    assert.equal(protocols.grpc.endpoint, '0.0.0.0:4317');
    assert.equal(protocols.http.endpoint, '0.0.0.0:4318');
    assert.equal(
      compose.services.server.environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
      'http://tempo:4318/v1/traces',
    );
  });

  it('generates the service graph and span metrics, remote-written with exemplars to Prometheus', () => {
    assert.deepEqual([...tempo.overrides.defaults.metrics_generator.processors].sort(), [
      'service-graphs',
      'span-metrics',
    ]);
    const [remoteWrite] = tempo.metrics_generator.storage.remote_write as Yaml[];
    assert.equal(remoteWrite?.url, 'http://prometheus:9090/api/v1/write');
    assert.equal(remoteWrite?.send_exemplars, true);
    assert.ok(compose.services.prometheus.command.includes('--web.enable-remote-write-receiver'));
  });

  it('adds span-metrics dimensions by their stable HTTP semantic-convention names', () => {
    const dimensions = tempo.overrides.defaults.metrics_generator.processor.span_metrics
      .dimensions as string[];
    for (const name of dimensions)
      assert.doesNotMatch(name, /^http\.(method|status_code|url|target)$/, `${name} is an old name`);
    assert.ok(dimensions.includes('http.response.status_code'));
  });

  it('serves queries on 3200 with streaming, and keeps every path in the named volume', () => {
    assert.equal(tempo.server.http_listen_port, 3200);
    assert.equal(tempo.stream_over_http_enabled, true);
    const mount = (compose.services.tempo.volumes as string[]).find((volume) =>
      volume.startsWith('tempo-data:'),
    );
    const dataDir = mount?.split(':')[1] ?? '';
    assert.equal(dataDir, '/var/tempo');
    for (const path of [
      tempo.storage.trace.wal.path,
      tempo.storage.trace.local.path,
      tempo.metrics_generator.storage.path,
    ]) {
      assert.ok(path.startsWith(dataDir), path);
    }
  });

  it('is started as the monolithic target with its health flag in compose', () => {
    assert.ok(compose.services.tempo.command.includes('-target=all'));
    assert.deepEqual(compose.services.tempo.healthcheck.test, ['CMD', '/tempo', '-health']);
    assert.deepEqual(compose.services.loki.healthcheck.test, ['CMD', '/usr/bin/loki', '-health']);
  });
});
