import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryStore, LIMITS } from '../../src/status/history.ts';
import { historyView } from '../../src/status/model.ts';
import { probeDefinition } from '../helpers/definitions.ts';
import { down, probe, run, T0 } from './helpers.ts';

const MINUTE = 60_000;

describe('status history', () => {
  it('keeps at most the bounded number of runs per probe, newest last', () => {
    const store = new HistoryStore();
    const alpha = probe('alpha');
    for (let index = 0; index < LIMITS.recentRunsPerProbe + 50; index++) {
      store.record(alpha, run(alpha, T0 + index * 1000, true, { durationMs: index }), undefined);
    }
    const history = store.probes.get('alpha');
    assert.equal(history?.runs.length, LIMITS.recentRunsPerProbe);
    assert.equal(history?.runs.at(-1)?.ms, LIMITS.recentRunsPerProbe + 49);
  });

  it('counts uptime per minute over 1 h and 24 h, and forgets what is older than 24 h', () => {
    const store = new HistoryStore();
    const alpha = probe('alpha');
    // 30 h of one run a minute: failing during the first 6 h, then passing.
    for (let minute = 0; minute < 30 * 60; minute++) {
      store.record(alpha, run(alpha, T0 + minute * MINUTE, minute >= 6 * 60), undefined);
    }
    const now = T0 + 30 * 60 * MINUTE;
    const history = store.probes.get('alpha');
    assert.ok(history);
    assert.ok(history.minutes.length <= LIMITS.minutesPerProbe + 1, `${history.minutes.length} minutes kept`);
    assert.equal(history.uptime(now, 60 * MINUTE), 1);
    assert.equal(history.uptime(now, 24 * 60 * MINUTE), 1);
    // Of the failing first 6 h, only the minute at the 24 h edge is left.
    assert.equal(
      history.uptime(T0 + 6 * 60 * MINUTE - 2 * MINUTE, 60 * MINUTE),
      null,
      'minutes gone after 24 h',
    );
    assert.ok((history.uptime(now, 24 * 60 * MINUTE + 10 * MINUTE) ?? 0) > 0.99);
  });

  it('reports uptime as the share of passing runs', () => {
    const store = new HistoryStore();
    const alpha = probe('alpha');
    for (let index = 0; index < 4; index++)
      store.record(alpha, run(alpha, T0 + index * 1000, index !== 0), undefined);
    const view = historyView(store.probes.get('alpha'), T0 + 5000);
    assert.equal(view.uptime_1h, 0.75);
    assert.equal(view.uptime_24h, 0.75);
    assert.equal(view.recent.length, 4);
    assert.equal(view.recent[0]?.ok, false);
    assert.equal(view.recent[0]?.error_type, 'http_status');
  });

  it('records incidents with the reason and trace id, and chaos actions without credentials', () => {
    const store = new HistoryStore();
    const alpha = probe('alpha');
    const traceId = 'a'.repeat(32);
    store.record(alpha, run(alpha, T0, false, { traceId }), down);
    const action = { ...alpha, kind: 'action' as const, name: 'toggle' };
    store.record(
      action,
      run(action, T0 + 1000, true, {
        method: 'POST',
        url: 'http://admin:hunter2@127.0.0.1:8080/flaky?token=abc',
      }),
      undefined,
    );
    assert.deepEqual(store.incidents[0], {
      at: T0 + 12,
      probe: 'alpha',
      from: 'up',
      to: 'down',
      error_type: 'http_status',
      error: 'status 500, expected 2xx',
      trace_id: traceId,
    });
    assert.equal(store.chaos[0]?.url, 'http://127.0.0.1:8080/flaky?token=[redacted]');
    assert.equal(store.probes.has('toggle'), false, 'actions have no strip of their own');
  });

  it('bounds incidents and chaos actions in all', () => {
    const store = new HistoryStore();
    const alpha = probe('alpha');
    for (let index = 0; index < LIMITS.incidents + 10; index++)
      store.record(alpha, run(alpha, T0 + index, false), down);
    assert.equal(store.incidents.length, LIMITS.incidents);
  });

  it('keeps unchanged probes on reload, starts changed ones afresh and drops removed ones', () => {
    const store = new HistoryStore();
    const alpha = probe('alpha');
    const beta = probe('beta');
    const gamma = probe('gamma');
    store.retain([alpha, beta, gamma]);
    for (const definition of [alpha, beta, gamma])
      store.record(definition, run(definition, T0, true), undefined);
    // A reload builds new Definition objects: equal ones count as unchanged.
    const summary = store.retain([probe('alpha'), probe('beta', { every: '5s' })]);
    assert.deepEqual(summary, { kept: ['alpha'], reset: ['beta'], dropped: ['gamma'] });
    assert.equal(store.probes.get('alpha')?.runs.length, 1);
    assert.equal(store.probes.has('beta'), false);
    // A late run of the replaced definition is not mixed into the new one's history.
    store.record(beta, run(beta, T0 + 1000, false), undefined);
    assert.equal(store.probes.has('beta'), false);
  });

  it('never puts headers (which may be credentials) into the fingerprint it keeps', () => {
    const store = new HistoryStore();
    const secret = probeDefinition({
      name: 'alpha',
      url: 'http://127.0.0.1:9/',
      headers: { authorization: 'Bearer s3cr3t' },
    });
    store.record(secret, run(secret, T0, true), undefined);
    assert.match(store.probes.get('alpha')?.fingerprint ?? '', /^[0-9a-f]{32}$/);
  });
});
