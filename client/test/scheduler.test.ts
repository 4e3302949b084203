import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntervalTicker } from '../src/scheduler/interval-ticker.ts';
import { Job, type JobHandler } from '../src/scheduler/job.ts';
import { Scheduler } from '../src/scheduler/scheduler.ts';
import type { Definition, RequestSpec, SkipReason } from '../src/types.ts';
import { probeDefinition } from './helpers/definitions.ts';
import { FakeClock } from './helpers/fake-clock.ts';

const flush = () => new Promise((resolve) => setImmediate(resolve));

class RecordingHandler implements JobHandler {
  runs: { url: string; plannedAt: number }[] = [];
  skips: [SkipReason, number][] = [];
  lags: number[] = [];
  closed: string[] = [];
  finish: (() => void)[] = [];
  /** When true, runs stay in progress until finishAll(). */
  hold = false;

  run(request: RequestSpec, plannedAt: number): Promise<void> {
    this.runs.push({ url: request.url, plannedAt });
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.finish.push(resolve));
  }
  skipped(reason: SkipReason, count: number): void {
    this.skips.push([reason, count]);
  }
  lagged(lagMs: number): void {
    this.lags.push(lagMs);
  }
  close(reason: string): void {
    this.closed.push(reason);
  }
  finishAll(): void {
    for (const resolve of this.finish.splice(0)) resolve();
  }
}

describe('IntervalTicker', () => {
  it('plans offset + k·period on the epoch, so the phase survives restarts', async () => {
    assert.equal(IntervalTicker.firstAfter(10_500, 3000, 200), 12_200);
    assert.equal(IntervalTicker.firstAfter(12_200, 3000, 200), 15_200);
    const clock = new FakeClock(1_000_000);
    const planned: number[] = [];
    const ticker = new IntervalTicker(3000, 200, clock, {
      onTick: (at) => planned.push(at),
      onMissed: () => {},
    });
    ticker.start();
    await clock.advance(10_000);
    ticker.stop();
    assert.deepEqual(planned, [1_002_200, 1_005_200, 1_008_200]);
    assert.equal(clock.pending, 0);
  });

  it('does not drift when timers fire late, and counts instants missed during a stall', async () => {
    const clock = new FakeClock(0);
    const planned: number[] = [];
    const missed: number[] = [];
    const ticker = new IntervalTicker(1000, 0, clock, {
      onTick: (at) => planned.push(at),
      onMissed: (count) => missed.push(count),
    });
    ticker.start();
    await clock.advance(3500, 7); // every timer 7 ms late
    assert.deepEqual(planned, [1000, 2000, 3000]);
    await clock.advance(3600, 3000); // a 3 s stall: the 4000 run comes at 7000; 5000, 6000, 7000 are gone
    ticker.stop();
    assert.deepEqual(planned, [1000, 2000, 3000, 4000]);
    assert.deepEqual(missed, [3]);
  });
});

describe('Job', () => {
  it('measures lag from the planned instant', async () => {
    const clock = new FakeClock(0);
    const handler = new RecordingHandler();
    const job = new Job(
      probeDefinition({ name: 'p', url: 'http://x/', every: '1s', offset: '250ms' }),
      handler,
      clock,
    );
    job.start();
    await clock.advance(2400, 12);
    void job.stop();
    assert.deepEqual(
      handler.runs.map((run) => run.plannedAt),
      [250, 1250, 2250],
    );
    assert.deepEqual(handler.lags, [12, 12, 12]);
  });

  it('never overlaps itself: a tick during a run is skipped and counted as overlap', async () => {
    const clock = new FakeClock(0);
    const handler = new RecordingHandler();
    handler.hold = true;
    const job = new Job(
      probeDefinition({ name: 'p', url: 'http://x/', every: '1s', offset: '0s' }),
      handler,
      clock,
    );
    job.start();
    await clock.advance(1000); // run 1 starts and hangs
    await clock.advance(2000); // ticks at 2000 and 3000 find it still running
    assert.equal(handler.runs.length, 1);
    assert.deepEqual(handler.skips, [
      ['overlap', 1],
      ['overlap', 1],
    ]);
    handler.finishAll();
    await flush();
    await clock.advance(1000); // 4000: free again
    assert.equal(handler.runs.length, 2);
    handler.finishAll();
    await job.stop();
  });

  it('cycles through several requests (setStatus: [503, 200])', async () => {
    const clock = new FakeClock(0);
    const handler = new RecordingHandler();
    const definition: Definition = {
      ...probeDefinition({ name: 'a', url: 'http://x/', every: '1s', offset: '0s' }),
      requests: [
        { method: 'POST', url: 'http://x/status/503', headers: {} },
        { method: 'POST', url: 'http://x/status/200', headers: {} },
      ],
    };
    const job = new Job(definition, handler, clock);
    job.start();
    await clock.advance(3000);
    void job.stop();
    assert.deepEqual(
      handler.runs.map((run) => run.url),
      ['http://x/status/503', 'http://x/status/200', 'http://x/status/503'],
    );
  });
});

describe('Scheduler.apply', () => {
  const define = (name: string, extra: Record<string, unknown> = {}) =>
    probeDefinition({ name, url: `http://x/${name}`, every: '1s', ...extra });

  it('keeps unchanged jobs, restarts changed ones and stops removed ones', async () => {
    const clock = new FakeClock(0);
    const handlers = new Map<string, RecordingHandler[]>();
    const scheduler = new Scheduler((definition) => {
      const handler = new RecordingHandler();
      handlers.set(definition.name, [...(handlers.get(definition.name) ?? []), handler]);
      return handler;
    }, clock);
    const first = scheduler.apply([define('keep'), define('change'), define('drop')]);
    assert.deepEqual(first.added, ['keep', 'change', 'drop']);
    const keepJob = scheduler.jobs.find((job) => job.definition.name === 'keep');
    const second = scheduler.apply([define('keep'), define('change', { timeout: '500ms' }), define('new')]);
    assert.deepEqual(second, { added: ['new'], changed: ['change'], removed: ['drop'], unchanged: ['keep'] });
    assert.equal(
      scheduler.jobs.find((job) => job.definition.name === 'keep'),
      keepJob,
      'an unchanged probe keeps its job (schedule and state)',
    );
    await flush();
    assert.deepEqual(handlers.get('drop')?.[0]?.closed, ['removed']);
    assert.deepEqual(handlers.get('change')?.[0]?.closed, ['replaced']);
    assert.equal(handlers.get('change')?.length, 2);
    assert.deepEqual(handlers.get('keep')?.[0]?.closed, []);
    await clock.advance(1000);
    assert.equal(handlers.get('drop')?.[0]?.runs.length, 0, 'a removed probe runs no more');
    assert.equal(handlers.get('keep')?.[0]?.runs.length, 1);
    await scheduler.stopAll(Date.now() + 1000);
    assert.deepEqual(handlers.get('keep')?.[0]?.closed, ['shutdown']);
  });

  it('lets the run in progress of a removed probe finish before its handler closes', async () => {
    const clock = new FakeClock(0);
    const handler = new RecordingHandler();
    handler.hold = true;
    const scheduler = new Scheduler(() => handler, clock);
    scheduler.apply([define('slow', { offset: '0s' })]);
    await clock.advance(1000);
    scheduler.apply([]);
    await flush();
    assert.deepEqual(handler.closed, [], 'still running');
    handler.finishAll();
    await flush();
    await flush();
    assert.deepEqual(handler.closed, ['removed']);
  });

  it('gives up waiting at the shutdown deadline', async () => {
    const clock = new FakeClock(0);
    const handler = new RecordingHandler();
    handler.hold = true;
    const scheduler = new Scheduler(() => handler, clock);
    scheduler.apply([define('stuck', { offset: '0s' })]);
    await clock.advance(1000);
    await assert.rejects(scheduler.stopAll(Date.now() + 50), /still in progress/);
    handler.finishAll();
  });
});
