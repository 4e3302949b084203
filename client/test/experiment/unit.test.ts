// The experiment's pieces without processes: the file's rules, pauses on a fake clock, URL display.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfigFile } from '@sre-stack/runtime';
import { probesFileSchema } from '../../src/config/schema.ts';
import { loadExperiment } from '../../src/experiment/load.ts';
import { safeUrl } from '../../src/experiment/report.ts';
import { experimentSchema } from '../../src/experiment/schema.ts';
import { runStep } from '../../src/experiment/steps.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const base = {
  title: 't',
  steady_state: {
    probes: [{ url: 'http://127.0.0.1:1/status' }],
    tolerance: { success_ratio: 0.9 },
    window: '1s',
  },
  method: [{ pause: '1s' }],
};

const issues = (input: unknown) => {
  const result = experimentSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('experiment file rules', () => {
  it('accepts the minimal file, with defaults', () => {
    const parsed = experimentSchema.parse(base);
    assert.equal(parsed.steady_state.probes[0]?.every, 200);
    assert.deepEqual(parsed.rollbacks, []);
  });

  it('refuses what cannot be run, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [
        { ...base, steady_state: { ...base.steady_state, tolerance: {} } },
        /steady_state\.tolerance: set success_ratio, p95 or both/,
      ],
      [{ ...base, steady_state: { ...base.steady_state, tolerance: { p95: 'fast' } } }, /tolerance\.p95/],
      [
        { ...base, steady_state: { ...base.steady_state, probes: [{ url: 'http://x/', probe: 'a' }] } },
        /set exactly one of url or probe/,
      ],
      [
        { ...base, steady_state: { ...base.steady_state, probes: [{ url: 'http://x/', every: '2s' }] } },
        /every: must not be longer than the window/,
      ],
      [
        { ...base, method: [{ pause: '1s', request: { url: 'http://x/' } }] },
        /method\.0\.pause: each step is exactly one of/,
      ],
      [{ ...base, method: [{ fault: { admin: 'http://x/', route: 'r' } }] }, /set abort, delay or both/],
      [
        {
          ...base,
          method: [{ fault: { admin: 'http://x/', route: 'r', abort: { status: 503 }, clear: true } }],
        },
        /clear takes no abort or delay/,
      ],
      [
        {
          ...base,
          method: [
            { fault: { admin: 'http://x/', route: 'r', delay: { duration: { min: '2s', max: '1s' } } } },
          ],
        },
        /delay\.duration\.max: max must not be less than min/,
      ],
      [{ ...base, method: [] }, /method: list at least one step/],
      [{ ...base, colour: 'red' }, /Unrecognized key/],
    ];
    for (const [input, message] of cases)
      assert.match(issues(input).join('\n'), message, JSON.stringify(input));
  });
});

describe('steps', () => {
  it('a pause waits on the clock, and an abort cuts it short', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const options = {
      phase: 'method' as const,
      index: 0,
      signal: controller.signal,
      faultExpiryMs: 1000,
      clock,
    };
    const pending = runStep({ pause: 5000 }, options);
    await clock.advance(4999);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await Promise.resolve();
    assert.equal(settled, false);
    await clock.advance(1);
    const done = await pending;
    assert.equal(done.ok, true);
    assert.equal(done.durationMs, 5000);

    const cut = runStep({ pause: 60_000 }, options);
    controller.abort();
    const interrupted = await cut;
    assert.equal(interrupted.ok, false);
    assert.equal(interrupted.error, 'interrupted');
  });

  it('a request to a closed port fails the step with the reason', async () => {
    const result = await runStep(
      {
        request: { method: 'PUT', url: 'http://127.0.0.1:1/flaky', json: { enabled: false }, timeout: 2000 },
      },
      { phase: 'rollbacks', index: 0, signal: new AbortController().signal, faultExpiryMs: 1000 },
    );
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /ECONNREFUSED/);
  });
});

describe('report', () => {
  it('never shows userinfo or secret query values', () => {
    assert.equal(
      safeUrl('http://user:pw@example.com/flaky?token=abc&x=1&api_key=k'),
      'http://example.com/flaky?token=[redacted]&x=1&api_key=[redacted]',
    );
  });
});

describe('shipped files', () => {
  it('the experiments schedule and the calm schedule load, and so does every experiment they name', async () => {
    const folder = new URL('../../../examples/experiments/', import.meta.url).pathname;
    const scheduled = await loadConfigFile(`${folder}probes.yaml`, probesFileSchema);
    assert.equal(scheduled.experiments.length, 3);
    assert.deepEqual(scheduled.actions, [], 'no flaky toggle beside the experiments');
    for (const entry of scheduled.experiments) {
      const experiment = await loadExperiment(entry.file, entry.probes);
      assert.ok(experiment.definitions.length > 0);
    }
    const calm = await loadConfigFile(`${folder}calm.yaml`, probesFileSchema);
    assert.deepEqual([calm.actions, calm.experiments], [[], []]);
  });
});
