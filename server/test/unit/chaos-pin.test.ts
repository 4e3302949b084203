// Pinning chaos: PUT /flaky with a `duration` applies the profile and holds it; meanwhile POST /flaky
// (the toggle the prober's default schedule sends) answers 409 and changes nothing; when the time is up
// the server goes back to the state before the pin. Timing runs on a fake clock.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import { createRequestHandler } from '../../src/app.ts';
import { type Chaos, createChaos, type PinClock } from '../../src/chaos.ts';
import { DEFAULT_PROFILE } from '../../src/profile.ts';
import { send } from '../http-client.ts';
import { scriptedRandom } from '../scripted-random.ts';

/** now() moves only when told; timers fire as it passes them. */
function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  let timers: { at: number; callback: () => void }[] = [];
  const clock: PinClock & { advance(ms: number): void } = {
    now: () => now,
    setTimeout(callback, delayMs) {
      const timer = { at: now + delayMs, callback };
      timers.push(timer);
      return timer;
    },
    clearTimeout(handle) {
      timers = timers.filter((timer) => timer !== handle);
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((timer) => timer.at <= now);
      timers = timers.filter((timer) => timer.at > now);
      for (const timer of due) timer.callback();
    },
  };
  return clock;
}

const json = (body: unknown, method = 'PUT') => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('chaos pin, in the state', () => {
  it('holds the pinned state, then puts back the state from before the first pin', () => {
    const clock = fakeClock();
    const chaos = createChaos({ random: scriptedRandom([]), clock });
    const changes: string[] = [];
    chaos.onChange((_state, kind, source) => changes.push(`${kind}:${source}`));
    const fixed = { ...DEFAULT_PROFILE, errorProbability: 0.5 };
    chaos.pin(60_000, () => {
      chaos.setProfile(fixed, 'api');
      chaos.setFlaky(true, 'api');
    });
    assert.equal(chaos.pinnedUntil, clock.now() + 60_000);
    assert.equal(chaos.snapshot.flaky, true);
    // The config file changes what comes back, not what is pinned.
    chaos.setFlaky(false, 'config');
    assert.equal(chaos.snapshot.flaky, true);
    // Re-pinning extends; the state to return to stays the one from before the first pin.
    clock.advance(30_000);
    chaos.pin(60_000, () => chaos.setProfile(fixed, 'api'));
    clock.advance(59_999);
    assert.equal(chaos.snapshot.flaky, true);
    clock.advance(1);
    assert.equal(chaos.pinnedUntil, undefined);
    assert.equal(chaos.snapshot.flaky, false);
    assert.equal(chaos.snapshot.profile, DEFAULT_PROFILE);
    assert.equal(chaos.snapshot.pinnedUntil, undefined);
    assert.deepEqual(changes.slice(-2), ['profile:pin_expired', 'flaky:pin_expired']);
  });
});

describe('chaos pin, over HTTP', () => {
  let server: Server;
  let base: string;
  let chaos: Chaos;
  const clock = fakeClock();
  before(async () => {
    chaos = createChaos({ random: scriptedRandom([]), clock });
    const logger = createLogger({ service: 'test', level: 'silent' });
    server = createServer(createRequestHandler({ chaos, logger, sleep: async () => {} }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('PUT /flaky with a duration pins; GET shows pinned_until; POST answers 409 and changes nothing', async () => {
    const put = await send(base, '/flaky', json({ enabled: true, error_probability: 1, duration: '60s' }));
    assert.equal(put.status, 200);
    const until = new Date(clock.now() + 60_000).toISOString();
    assert.equal(JSON.parse(put.body).pinned_until, until);
    assert.equal(JSON.parse((await send(base, '/flaky')).body).pinned_until, until);

    const toggle = await send(base, '/flaky', { method: 'POST' });
    assert.equal(toggle.status, 409);
    assert.equal(toggle.headers['x-chaos-pinned-until'], until);
    assert.equal(toggle.headers['x-flaky'], 'on');
    assert.match(toggle.body, /^Conflict: chaos is pinned until .+, so POST \/flaky changed nothing/);
    assert.equal(chaos.snapshot.flaky, true);

    const unpinnedPut = await send(base, '/flaky', json({ enabled: false }));
    assert.equal(unpinnedPut.status, 409, 'a PUT without a duration would undo the pin too');
    assert.equal(chaos.snapshot.flaky, true);

    clock.advance(60_000);
    const state = JSON.parse((await send(base, '/flaky')).body);
    assert.deepEqual([state.flaky, state.pinned_until], [false, null]);
    assert.equal((await send(base, '/flaky', { method: 'POST' })).status, 202);
  });

  it('refuses a duration that is not one, with the hint', async () => {
    for (const duration of [60, '0s', 'soon', '48h']) {
      const answer = await send(base, '/flaky', json({ duration }));
      assert.equal(answer.status, 400, String(duration));
      const body = JSON.parse(answer.body);
      assert.equal(body.issues[0].field, 'duration');
      assert.match(body.issues[0].message, /write a duration like 60s, 5m or 1h/);
    }
  });
});
