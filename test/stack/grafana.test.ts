// Grafana provisioning: datasources with fixed uids and the correlations between them, and the
// dashboards' references (every datasource resolves, every LogQL query parses).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parser as logqlParser } from '@grafana/lezer-logql';
import {
  type Dashboard,
  dashboardFiles,
  loadDashboard,
  queriesOf,
  substituteVariables,
} from './dashboards.ts';
import { readText, readYaml } from './helpers.ts';

interface Datasource {
  name: string;
  type: string;
  uid: string;
  url: string;
  isDefault?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: provisioning YAML walked by known paths; a wrong path fails its assertion.
  jsonData: Record<string, any>;
}

const datasources = readYaml<{ datasources: Datasource[] }>(
  'grafana/provisioning/datasources/datasources.yaml',
).datasources;
const byUid = new Map(datasources.map((datasource) => [datasource.uid, datasource]));

function logqlErrors(query: string): string[] {
  const errors: string[] = [];
  logqlParser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError)
        errors.push(`error at ${node.from}: …${query.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
    },
  });
  return errors;
}

describe('grafana/provisioning/datasources', () => {
  it('provisions Prometheus, Loki and Tempo with explicit uids, pointing at the compose services', () => {
    assert.deepEqual(
      datasources.map(({ type, uid, url }) => ({ type, uid, url })),
      [
        { type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' },
        { type: 'loki', uid: 'loki', url: 'http://loki:3100' },
        { type: 'tempo', uid: 'tempo', url: 'http://tempo:3200' },
      ],
    );
    assert.equal(datasources.filter((datasource) => datasource.isDefault).length, 1);
  });

  it('links exemplars to Tempo for both trace_id (the services) and traceID (Tempo’s span metrics)', () => {
    const destinations = byUid.get('prometheus')?.jsonData.exemplarTraceIdDestinations as {
      name: string;
      datasourceUid: string;
    }[];
    assert.deepEqual(destinations.map(({ name, datasourceUid }) => `${name}→${datasourceUid}`).sort(), [
      'traceID→tempo',
      'trace_id→tempo',
    ]);
  });

  it('links Loki lines to their trace through the trace_id structured metadata', () => {
    const [field] = (byUid.get('loki')?.jsonData.derivedFields ?? []) as Record<string, string>[];
    assert.equal(field?.matcherType, 'label');
    assert.equal(field?.matcherRegex, 'trace_id');
    assert.equal(field?.datasourceUid, 'tempo');
    assert.equal(field?.url, '$${__value.raw}');
  });

  it('links a trace to the logs of every hop, the service map and span metrics', () => {
    const tempo = byUid.get('tempo')?.jsonData ?? {};
    assert.equal(tempo.tracesToLogsV2.datasourceUid, 'loki');
    assert.equal(tempo.tracesToLogsV2.customQuery, true);
    const query = tempo.tracesToLogsV2.query as string;
    for (const service of ['prober', 'proxy', 'flaky-server']) assert.ok(query.includes(service));
    assert.ok(query.includes('trace_id="$${__trace.traceId}"'));
    // What Grafana sees once it has turned $$ into $: a valid LogQL query.
    assert.deepEqual(
      logqlErrors(query.replaceAll('$${__trace.traceId}', '0af7651916cd43dd8448eb211c80319c')),
      [],
    );
    assert.equal(tempo.serviceMap.datasourceUid, 'prometheus');
    assert.equal(tempo.tracesToMetrics.datasourceUid, 'prometheus');
    assert.equal(tempo.lokiSearch.datasourceUid, 'loki');
  });

  it('escapes every Grafana variable as $$ (Grafana expands $VAR from its environment in provisioning)', () => {
    const text = readText('grafana/provisioning/datasources/datasources.yaml')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    const unescaped = [...text.matchAll(/(?<!\$)\$(\{|__)/g)].map((match) =>
      text.slice(match.index, match.index + 30),
    );
    assert.deepEqual(unescaped, []);
  });
});

describe('grafana/provisioning/dashboards', () => {
  const provider = readYaml<{
    providers: { folder: string; folderUid: string; options: { path: string } }[];
  }>('grafana/provisioning/dashboards/dashboards.yaml').providers[0];

  it('loads the dashboards from the mounted folder into one folder with a fixed uid', () => {
    assert.equal(provider?.options.path, '/etc/grafana/dashboards');
    assert.ok(provider?.folder);
    assert.ok(provider?.folderUid);
  });
});

describe('grafana/dashboards', () => {
  const files = dashboardFiles();
  const dashboards = files.map((file) => [file, loadDashboard(file)] as [string, Dashboard]);

  it('has the prober, proxy, server and SLO dashboards, each with a fixed, unique uid', () => {
    assert.deepEqual(files.sort(), ['prober.json', 'proxy.json', 'server.json', 'slo.json']);
    const uids = dashboards.map(([, dashboard]) => dashboard.uid);
    for (const uid of uids) assert.match(uid ?? '', /^[a-z0-9-]{1,40}$/);
    assert.equal(new Set(uids).size, uids.length);
    for (const [file, dashboard] of dashboards) {
      assert.equal(dashboard.id ?? null, null, `${file}: no numeric id`);
      assert.ok(!('__inputs' in dashboard), `${file}: no import-time DS_ inputs`);
    }
  });

  it('references only provisioned datasources, by {type, uid}', () => {
    for (const file of files) {
      const text = readText('grafana/dashboards', file);
      assert.doesNotMatch(text, /\$\{DS_/, `${file}: no \${DS_…} placeholders`);
      const references: { type?: string; uid?: string }[] = [];
      JSON.parse(text, (key, value) => {
        if (key === 'datasource' && value && typeof value === 'object') references.push(value);
        return value;
      });
      assert.ok(references.length > 0, `${file} references datasources`);
      for (const reference of references) {
        if (reference.uid === '-- Grafana --' || reference.uid === '-- Dashboard --') continue;
        const datasource = byUid.get(reference.uid ?? '');
        assert.ok(datasource, `${file}: unknown datasource uid ${reference.uid}`);
        assert.equal(
          reference.type,
          datasource.type,
          `${file}: ${reference.uid} has type ${datasource.type}`,
        );
      }
      // A string datasource is a name lookup that breaks when names change: not allowed.
      JSON.parse(text, (key, value) => {
        if (key === 'datasource')
          assert.notEqual(typeof value, 'string', `${file}: datasource "${value}" by name`);
        return value;
      });
    }
  });

  it('parses every LogQL query (@grafana/lezer-logql), Grafana variables substituted', () => {
    let count = 0;
    for (const [file, dashboard] of dashboards) {
      for (const query of queriesOf(dashboard).filter((q) => q.datasourceType === 'loki')) {
        count += 1;
        const expr = substituteVariables(query.expr, dashboard);
        assert.deepEqual(logqlErrors(expr), [], `${file} "${query.panel}": ${expr}`);
      }
    }
    assert.ok(count >= 3, 'the dashboards show logs');
  });

  it('sets the home dashboard to one of them', () => {
    const compose = readYaml<{ services: { grafana: { environment: Record<string, string> } } }>(
      'docker-compose.yml',
    );
    const home = compose.services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    assert.ok(dashboardFiles().includes(home.split('/').at(-1) ?? ''));
  });
});
