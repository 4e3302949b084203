// The real promtool on prometheus/: the config (targets, rule files), the rules, and their unit tests.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readYaml, repoPath, requireTool, run } from './helpers.ts';

const promtool = 'apt-get install -y prometheus (Debian ships promtool with it)';
const ruleFiles = () =>
  readdirSync(repoPath('prometheus', 'rules'))
    .filter((name) => name.endsWith('.yml'))
    .map((name) => `prometheus/rules/${name}`);
const testFiles = () =>
  readdirSync(repoPath('prometheus', 'tests'))
    .filter((name) => name.endsWith('.yml'))
    .map((name) => `prometheus/tests/${name}`);

describe('prometheus/', () => {
  it('promtool check config: prometheus.yml and the rule files it loads', (t) => {
    if (!requireTool(t, 'promtool', promtool)) return;
    const result = run('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    for (const file of ruleFiles())
      assert.ok(result.stdout.includes(file.replace('prometheus/', '')), `loads ${file}`);
  });

  it('scrapes the three services on their default metrics ports, under their service names', () => {
    const config = readYaml<{
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>('prometheus', 'prometheus.yml');
    const targets = Object.fromEntries(
      config.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((c) => c.targets)]),
    );
    assert.deepEqual(targets['flaky-server'], ['server:9101']);
    assert.deepEqual(targets.proxy, ['proxy:9102']);
    assert.deepEqual(targets.prober, ['client:9103']);
  });

  it('promtool check rules', (t) => {
    if (!requireTool(t, 'promtool', promtool)) return;
    const files = ruleFiles();
    assert.ok(files.length > 0);
    const result = run('promtool', ['check', 'rules', ...files]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('promtool test rules: every rule has a unit test', (t) => {
    if (!requireTool(t, 'promtool', promtool)) return;
    const result = run('promtool', ['test', 'rules', ...testFiles()]);
    assert.equal(result.status, 0, result.stdout + result.stderr);

    // Every recording rule and alert is named in some test: as an expression under test or an alert.
    const tested = testFiles()
      .map((file) =>
        readYaml<{
          tests: { promql_expr_test?: { expr: string }[]; alert_rule_test?: { alertname: string }[] }[];
        }>(file),
      )
      .flatMap((suite) => suite.tests)
      .flatMap((test) => [
        ...(test.promql_expr_test ?? []).map((expr) => expr.expr),
        ...(test.alert_rule_test ?? []).map((alert) => alert.alertname),
      ])
      .join('\n');
    for (const file of ruleFiles()) {
      const { groups } = readYaml<{ groups: { rules: { record?: string; alert?: string }[] }[] }>(file);
      for (const rule of groups.flatMap((group) => group.rules)) {
        const name = rule.record ?? rule.alert ?? '';
        assert.ok(tested.includes(name), `${file}: ${name} has no unit test`);
      }
    }
  });
});
