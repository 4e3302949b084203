import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChangeKind, type ChangeSource, createChaos } from '../../src/chaos.ts';
import { type ChaosProfile, DEFAULT_PROFILE } from '../../src/profile.ts';
import { STATUS_CODES } from '../../src/status-codes.ts';
import { scriptedRandom } from '../scripted-random.ts';

const profile = (overrides: Partial<ChaosProfile>): ChaosProfile => ({ ...DEFAULT_PROFILE, ...overrides });

describe('chaos state', () => {
  it('answers the steady code, 200 by default, with no delay while flaky mode is off', () => {
    const chaos = createChaos({ random: scriptedRandom([]) });
    assert.deepEqual(chaos.decide(), { code: 200, delayMs: 0, flaky: false, injected: false });
    assert.equal(chaos.setStatusCode(503, 'api'), true);
    assert.equal(chaos.setStatusCode(503, 'api'), false, 'the same code again is no change');
    assert.equal(chaos.decide().code, 503);
  });

  it('in the default profile draws a delay in 0-500 ms and any of the codes, as the original does', () => {
    // Draws: latency (uniform), then the code; error probability 1 needs no draw.
    const chaos = createChaos({ random: scriptedRandom([0.5, 0, 0.2, 0.9999]), flaky: true });
    assert.deepEqual(chaos.decide(), { code: STATUS_CODES[0], delayMs: 250, flaky: true, injected: true });
    assert.deepEqual(chaos.decide(), {
      code: STATUS_CODES.at(-1),
      delayMs: 100,
      flaky: true,
      injected: true,
    });
  });

  it('with an error probability below 1, answers the steady code unless the draw falls under it', () => {
    const random = scriptedRandom([0.5, 0.1, 0.99]);
    const chaos = createChaos({
      random,
      statusCode: 204,
      flaky: true,
      profile: profile({
        errorProbability: 0.25,
        latency: { distribution: 'fixed', delay: 10 },
        codes: [
          { value: 500, weight: 1 },
          { value: 503, weight: 1 },
        ],
      }),
    });
    assert.deepEqual(chaos.decide(), { code: 204, delayMs: 10, flaky: true, injected: false });
    assert.deepEqual(chaos.decide(), { code: 503, delayMs: 10, flaky: true, injected: true });
    assert.equal(random.remaining(), 0);
  });

  it('error probability 0 only delays', () => {
    const chaos = createChaos({
      random: scriptedRandom([0.1, 0.0]),
      flaky: true,
      profile: profile({ errorProbability: 0 }),
    });
    assert.deepEqual(chaos.decide(), { code: 200, delayMs: 50, flaky: true, injected: false });
  });

  it('turning flaky mode off returns to the code set before (unlike the original)', () => {
    const chaos = createChaos({ random: scriptedRandom([0, 0.99, 0, 0.5]), statusCode: 418 });
    assert.equal(chaos.toggleFlaky('api'), true);
    assert.notEqual(chaos.decide().code, 418);
    assert.notEqual(chaos.decide().code, 418);
    assert.equal(chaos.toggleFlaky('api'), false);
    assert.equal(chaos.decide().code, 418);
    assert.equal(chaos.snapshot.statusCode, 418);
  });

  it('tells listeners what changed and from where', () => {
    const chaos = createChaos({ random: scriptedRandom([]) });
    const events: [ChangeKind, ChangeSource, boolean, number][] = [];
    chaos.onChange((state, kind, source) => events.push([kind, source, state.flaky, state.statusCode]));
    chaos.setStatusCode(500, 'api');
    chaos.setStatusCode(500, 'api');
    chaos.toggleFlaky('api');
    chaos.setFlaky(true, 'config');
    chaos.setFlaky(false, 'config');
    chaos.setProfile(DEFAULT_PROFILE, 'config');
    assert.deepEqual(events, [
      ['status_code', 'api', false, 500],
      ['flaky', 'api', true, 500],
      ['flaky', 'config', false, 500],
      ['profile', 'config', false, 500],
    ]);
  });
});
