import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import type { ProxyConfig } from '../../src/config/schema.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { Outcome } from '../../src/pipeline/outcome.ts';
import { UNBOUNDED } from '../../src/pipeline/types.ts';
import { faultPolicy } from '../../src/policies/fault/index.ts';
import { FaultOverlay } from '../../src/policies/fault/overlay.ts';
import { decide, describeFault, faultSchema, parseAdminFault } from '../../src/policies/fault/rules.ts';
import { SharedState } from '../../src/state/state.ts';
import { fakeExchange } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/** A random source that returns the given values in turn. */
const draws = (...values: number[]) => {
  let index = 0;
  return () => values[index++ % values.length] as number;
};
const ok = () => Promise.resolve<Outcome>({ kind: 'local', status: 200, body: 'ok', decidedBy: 'static' });

describe('fault rules', () => {
  it('aborts the configured share with the configured status', () => {
    const rules = faultSchema.parse({ abort: { percent: 30, status: 503 } });
    assert.deepEqual(decide(rules, {}, draws(0.29)), { delayMs: 0, abortStatus: 503 });
    assert.deepEqual(decide(rules, {}, draws(0.3)), { delayMs: 0, abortStatus: 0 });
    let aborted = 0;
    for (let i = 0; i < 1000; i++) if (decide(rules, {}, () => i / 1000).abortStatus === 503) aborted++;
    assert.equal(aborted, 300);
  });

  it('delays by a fixed time or within a range', () => {
    const fixed = faultSchema.parse({ delay: { percent: 50, duration: '200ms' } });
    assert.deepEqual(decide(fixed, {}, draws(0.1)), { delayMs: 200, abortStatus: 0 });
    assert.equal(decide(fixed, {}, draws(0.5)).delayMs, 0);
    const range = faultSchema.parse({ delay: { duration: { min: '100ms', max: '300ms' } } });
    assert.equal(decide(range, {}, draws(0)).delayMs, 100);
    assert.equal(decide(range, {}, draws(0.5)).delayMs, 200);
    assert.equal(decide(range, {}, draws(0.999)).delayMs, 299.8);
  });

  it('applies only to requests carrying the opt-in header, when one is named', () => {
    const rules = faultSchema.parse({ abort: { status: 500 }, header: 'X-Chaos' });
    assert.equal(decide(rules, {}, draws(0)).abortStatus, 0);
    assert.equal(decide(rules, { 'x-chaos': '1' }, draws(0)).abortStatus, 500);
  });

  it('percent 0 never fires, 100 always does', () => {
    const never = faultSchema.parse({ abort: { percent: 0, status: 503 } });
    const always = faultSchema.parse({ abort: { percent: 100, status: 503 } });
    assert.equal(decide(never, {}, draws(0)).abortStatus, 0);
    assert.equal(decide(always, {}, draws(0.9999)).abortStatus, 503);
  });

  it('refuses bad values with the field named, the same for the file and the admin API', () => {
    const cases: [unknown, string][] = [
      [{ abort: { percent: 130, status: 503 } }, 'abort.percent'],
      [{ abort: { percent: 10, status: 99 } }, 'abort.status'],
      [{ delay: { duration: 'soon' } }, 'delay.duration'],
      [{ delay: { duration: { min: '300ms', max: '100ms' } } }, 'delay.duration.max'],
      [{ header: 'bad header', abort: { status: 503 } }, 'header'],
      [{ abort: { status: 503 }, colour: 'red' }, 'colour'],
      [{}, 'abort'],
      [{ abort: { status: 503 }, expires_in: 'later' }, 'expires_in'],
    ];
    for (const [input, field] of cases) {
      const parsed = parseAdminFault(input);
      assert.equal(parsed.ok, false, JSON.stringify(input));
      if (!parsed.ok) assert.equal(parsed.field, field, JSON.stringify(input));
    }
    assert.equal(faultSchema.safeParse({ abort: { percent: 130, status: 503 } }).success, false);
    const good = parseAdminFault({ abort: { percent: 30, status: 503 }, expires_in: '60s' });
    assert.ok(good.ok);
    if (good.ok) assert.equal(good.expiresInMs, 60_000);
  });

  it('describes rules in the shape PUT accepts', () => {
    const document = {
      abort: { percent: 30, status: 503 },
      delay: { percent: 50, duration: { min: '100ms', max: '300ms' } },
      header: 'x-chaos',
    };
    assert.deepEqual(describeFault(faultSchema.parse(document)), document);
  });
});

describe('fault policy', () => {
  const context = (random: () => number, clock = new FakeClock()) => ({
    route: 'api',
    upstream: true,
    targets: [],
    clock,
    logger: createLogger({ service: 'test', level: 'silent' }),
    workers: 1,
    random,
    shared: SharedState.create({ shared: false }),
  });

  it('answers an abort as the upstream would, marked with x-proxy-fault, without calling the upstream', async () => {
    const policy = faultPolicy.create(faultSchema.parse({ abort: { status: 503 } }), context(draws(0)));
    let called = false;
    const outcome = await policy.handle!(
      fakeExchange(),
      () => {
        called = true;
        return ok();
      },
      UNBOUNDED,
    );
    assert.equal(called, false);
    assert.equal(outcome.kind, 'response');
    if (outcome.kind === 'response') {
      assert.equal(outcome.status, 503);
      assert.equal(outcome.headers['x-proxy-fault'], 'abort');
    }
  });

  it('holds a delayed request on the clock, then forwards it', async () => {
    const clock = new FakeClock();
    const rules = faultSchema.parse({ delay: { duration: '200ms' } });
    const policy = faultPolicy.create(rules, context(draws(0), clock));
    const exchange = fakeExchange();
    let settled = false;
    const pending = policy.handle!(exchange, ok, UNBOUNDED).then((outcome) => {
      settled = true;
      return outcome;
    });
    await Promise.resolve();
    clock.advance(199);
    await Promise.resolve();
    assert.equal(settled, false);
    clock.advance(1);
    const outcome = await pending;
    assert.equal(outcome.kind, 'local');
    assert.deepEqual(exchange.extraHeaders, ['x-proxy-fault', 'delay']);
  });

  it('a delay longer than the per-try timeout ends as a per-try timeout', async () => {
    const clock = new FakeClock();
    const rules = faultSchema.parse({ delay: { duration: '2s' } });
    const policy = faultPolicy.create(rules, context(draws(0), clock));
    const exchange = fakeExchange();
    const pending = policy.handle!(exchange, ok, { ...UNBOUNDED, perTryTimeoutMs: 400 });
    await Promise.resolve();
    clock.advance(400);
    const outcome = await pending;
    assert.equal(outcome.kind === 'failure' && outcome.failure, 'per_try_timeout');
  });
});

describe('fault overlay', () => {
  const fileConfig = (fault?: unknown): ProxyConfig =>
    configSchema.parse({
      routes: [
        {
          name: 'api',
          upstream: { targets: ['http://127.0.0.1:1'] },
          policies: fault ? { fault } : {},
        },
        { name: 'other', static: { body: 'x' } },
      ],
    });

  it('lays admin faults over the file, applies each change, and expires on the clock', async () => {
    const clock = new FakeClock();
    const file = fileConfig({ delay: { duration: '10ms' } });
    const applied: ProxyConfig[] = [];
    const overlay = new FaultOverlay({
      file: () => file,
      apply: (next) => {
        applied.push(next);
      },
      clock,
      wallNow: () => Date.parse('2026-01-01T00:00:00Z'),
    });
    assert.equal(overlay.view('api')?.source, 'file');
    assert.equal(overlay.view('other')?.source, null);
    assert.equal(overlay.view('nope'), undefined);

    const rules = faultSchema.parse({ abort: { percent: 30, status: 503 } });
    await overlay.set('api', rules, 60_000);
    const view = overlay.view('api');
    assert.equal(view?.source, 'admin');
    assert.equal(view?.expiresAt, Date.parse('2026-01-01T00:01:00Z'));
    const routes = (applied.at(-1) as ProxyConfig).routes;
    assert.deepEqual((routes[0]?.policies as { fault?: unknown } | undefined)?.fault, rules);

    clock.advance(59_999);
    assert.equal(overlay.view('api')?.source, 'admin');
    clock.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(overlay.view('api')?.source, 'file');
    assert.deepEqual(applied.at(-1), file);
    assert.equal(clock.pending, 0);
  });

  it('a new PUT replaces the old expiry; DELETE goes back to the file', async () => {
    const clock = new FakeClock();
    const file = fileConfig();
    const overlay = new FaultOverlay({ file: () => file, apply: () => {}, clock });
    const rules = faultSchema.parse({ abort: { status: 500 } });
    await overlay.set('api', rules, 1000);
    await overlay.set('api', rules, undefined);
    clock.advance(5000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(overlay.view('api')?.source, 'admin');
    await overlay.remove('api');
    assert.equal(overlay.view('api')?.source, null);
  });

  it('a refused apply leaves the previous state', async () => {
    const clock = new FakeClock();
    const file = fileConfig();
    const overlay = new FaultOverlay({
      file: () => file,
      apply: () => {
        throw new Error('no');
      },
      clock,
    });
    await assert.rejects(overlay.set('api', faultSchema.parse({ abort: { status: 500 } }), 1000));
    assert.equal(overlay.view('api')?.source, null);
    assert.equal(clock.pending, 0);
  });
});
