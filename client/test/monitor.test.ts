// The monitor wires runs to logs, metrics and state: checked in-process against a fixture server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registry } from '@sre-stack/runtime';
import { Monitor } from '../src/monitor.ts';
import * as metrics from '../src/reporters/metrics.ts';
import { probesSnapshot } from '../src/reporters/probes-route.ts';
import type { RequestSpec } from '../src/types.ts';
import { probeDefinition } from './helpers/definitions.ts';
import { type Fixture, startFixture, text } from './helpers/fixtures.ts';
import { captureLogger } from './helpers/log-capture.ts';

/** Sample lines of one metric family as scraped (OpenMetrics: counters' samples end in _total). */
const series = async (name: string) =>
  (await registry.metrics())
    .split('\n')
    .filter(
      (line) => !line.startsWith('#') && new RegExp(`^${name}(_bucket|_count|_sum|_created)?[{ ]`).test(line),
    );

describe('monitor', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture({ '/ok': text('OK'), '/down': text('nope', 503) });
  });
  after(() => fixture.close());

  it('logs one line per run with every reported field, and a line per state change', async () => {
    const { logger, lines } = captureLogger();
    const monitor = new Monitor({ logger, location: 'eu-1', metrics });
    const context = monitor.createHandler(
      probeDefinition({ name: 'm-down', url: `${fixture.url}/down`, failureThreshold: 2 }),
    );
    const request = context.definition.requests[0] as RequestSpec;
    await context.run(request, monitor.clock.now());
    await context.run(request, monitor.clock.now());
    const runs = lines.filter((line) => line.msg === 'probe failed');
    assert.equal(runs.length, 2);
    const line = runs[0] as Record<string, unknown>;
    assert.equal(line.level, 'error');
    for (const field of [
      'kind',
      'probe',
      'method',
      'url',
      'location',
      'success',
      'status_code',
      'duration_ms',
      'phases_ms',
      'scheduled_at',
      'lag_ms',
      'assertions',
      'error_type',
      'error',
      'state',
      'consecutive_failures',
    ]) {
      assert.ok(field in line, `log line has ${field}`);
    }
    assert.equal(line.probe, 'm-down');
    assert.equal(line.location, 'eu-1');
    assert.equal(line.status_code, 503);
    assert.equal(line.error_type, 'http_status');
    const transition = lines.find((entry) => entry.msg === 'probe m-down is down');
    assert.equal(transition?.level, 'warn');
    assert.equal(transition?.previous_state, 'unknown');
  });

  it('records the metrics, with series created at zero and removed when the probe goes', async () => {
    const { logger } = captureLogger();
    const monitor = new Monitor({ logger, location: 'eu-1', metrics });
    const definition = probeDefinition({ name: 'm-ok', url: `${fixture.url}/ok` });
    const context = monitor.createHandler(definition);
    assert.ok(
      (await series('probe_failures_total')).includes(
        'probe_failures_total{probe="m-ok",error_type="timeout"} 0',
      ),
    );
    await context.run(definition.requests[0] as RequestSpec, monitor.clock.now());
    const info = await series('probe_info');
    assert.ok(
      info.includes(
        `probe_info{probe="m-ok",method="GET",url="${fixture.url}/ok",schedule="every 10s",location="eu-1"} 1`,
      ),
      info.join('\n'),
    );
    assert.ok((await series('probe_success')).includes('probe_success{probe="m-ok"} 1'));
    assert.ok((await series('probe_http_status_code')).includes('probe_http_status_code{probe="m-ok"} 200'));
    assert.ok(
      (await series('probe_results_total')).includes('probe_results_total{probe="m-ok",result="success"} 1'),
    );
    assert.ok((await series('probe_up')).includes('probe_up{probe="m-ok"} 1'));
    const phases = (await series('probe_http_duration_seconds')).filter((line) =>
      line.includes('probe="m-ok"'),
    );
    assert.equal(phases.length, 5);
    assert.ok(
      (await series('probe_duration_seconds')).some((line) =>
        line.startsWith('probe_duration_seconds_count{probe="m-ok"} 1'),
      ),
    );

    context.close('removed');
    for (const name of [
      'probe_info',
      'probe_success',
      'probe_duration_seconds',
      'probe_http_duration_seconds',
      'probe_http_status_code',
      'probe_results_total',
      'probe_failures_total',
      'probe_up',
      'probe_consecutive_failures',
      'prober_runs_skipped_total',
    ]) {
      assert.ok(!(await series(name)).some((line) => line.includes('probe="m-ok"')), `${name} forgets m-ok`);
    }
  });

  it('counts actions by result and skips by reason', async () => {
    const { logger, lines } = captureLogger();
    const monitor = new Monitor({ logger, location: 'local', metrics });
    const definition = {
      ...probeDefinition({ name: 'm-act', url: `${fixture.url}/ok` }),
      kind: 'action' as const,
    };
    const context = monitor.createHandler(definition);
    await context.run(definition.requests[0] as RequestSpec, monitor.clock.now());
    context.skipped('overlap', 1);
    assert.ok(
      (await series('prober_action_runs_total')).includes(
        'prober_action_runs_total{action="m-act",result="success"} 1',
      ),
    );
    assert.ok(
      (await series('prober_runs_skipped_total')).includes(
        'prober_runs_skipped_total{probe="m-act",reason="overlap"} 1',
      ),
    );
    assert.equal(lines[0]?.msg, 'action succeeded');
    assert.equal(lines[0]?.action, 'm-act');
    assert.equal(lines[1]?.msg, 'action run skipped: the previous run is still in progress');
  });

  it('shows last result, state and window in the /probes snapshot', async () => {
    const { logger } = captureLogger();
    const monitor = new Monitor({ logger, location: 'local', metrics });
    const definition = probeDefinition({ name: 'm-snap', url: `${fixture.url}/ok` });
    const context = monitor.createHandler(definition);
    for (let i = 0; i < 3; i++) await context.run(definition.requests[0] as RequestSpec, monitor.clock.now());
    const snapshot = probesSnapshot(monitor.contexts.values(), 'local');
    const entry = snapshot.probes.find((probe) => probe.name === 'm-snap');
    assert.equal(entry?.state.status, 'up');
    assert.equal((entry?.last_result as Record<string, unknown> | null)?.status_code, 200);
    assert.equal(entry?.window.runs, 3);
    assert.equal(entry?.window.success_ratio, 1);
    assert.equal(typeof entry?.window.latency_p95_ms, 'number');
  });
});
