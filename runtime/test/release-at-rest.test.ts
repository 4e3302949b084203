// The heap a burst of work grew is given back once the thread is quiet again, once per growth, and never
// while it works (the pause would land on requests).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import {
  memoryPressureCollection,
  REST_SETTINGS,
  RestAfterGrowth,
  releaseHeapAtRest,
} from '../src/release-at-rest.ts';
import { FakeClock } from '../testing/fake-clock.ts';

const MiB = 2 ** 20;
const BUSY = 0.9;
const QUIET = 0.001;

test('releases after the configured quiet windows, only once the heap has grown', () => {
  const rest = new RestAfterGrowth();
  assert.equal(rest.window(BUSY, 40 * MiB), false, 'the first window sets the baseline');
  for (let window = 0; window < 5; window++) assert.equal(rest.window(QUIET, 42 * MiB), false);
  assert.equal(rest.window(BUSY, 70 * MiB), false, 'never while busy');
  assert.equal(rest.window(QUIET, 70 * MiB), false);
  assert.equal(rest.window(QUIET, 70 * MiB), false);
  assert.equal(rest.window(QUIET, 70 * MiB), true, `after ${REST_SETTINGS.quietWindows} quiet windows`);
  rest.released(45 * MiB);
  for (let window = 0; window < 6; window++) assert.equal(rest.window(QUIET, 45 * MiB), false, 'once');
});

test('a busy window in the middle starts the quiet count again', () => {
  const rest = new RestAfterGrowth();
  rest.window(BUSY, 40 * MiB);
  assert.equal(rest.window(QUIET, 60 * MiB), false);
  assert.equal(rest.window(QUIET, 60 * MiB), false);
  assert.equal(rest.window(0.5, 60 * MiB), false);
  assert.equal(rest.window(QUIET, 60 * MiB), false);
  assert.equal(rest.window(QUIET, 60 * MiB), false);
  assert.equal(rest.window(QUIET, 60 * MiB), true);
});

test('a release that frees little sets the new baseline, so it is not repeated every window', () => {
  const rest = new RestAfterGrowth();
  rest.window(BUSY, 40 * MiB);
  rest.window(QUIET, 60 * MiB);
  rest.window(QUIET, 60 * MiB);
  assert.equal(rest.window(QUIET, 60 * MiB), true);
  rest.released(58 * MiB);
  for (let window = 0; window < 6; window++) assert.equal(rest.window(QUIET, 58 * MiB), false);
  // Growth from there counts again.
  rest.window(BUSY, 80 * MiB);
  rest.window(QUIET, 80 * MiB);
  rest.window(QUIET, 80 * MiB);
  assert.equal(rest.window(QUIET, 80 * MiB), true);
});

test('the watch samples once per window on its clock and collects once when the load stops', () => {
  const clock = new FakeClock();
  const load = [0.1, 0.95, 0.97, 0.96, 0.4, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01];
  const heap = [30, 45, 60, 70, 70, 70, 70, 70, 70, 70, 70];
  let window = 0;
  let collections = 0;
  const stop = releaseHeapAtRest({
    clock,
    utilization: () => load[window] ?? 0.01,
    heapBytes: () => (collections > 0 ? 32 : (heap[window] ?? 70)) * MiB,
    collect: () => {
      collections++;
    },
  });
  const collectedAt: number[] = [];
  for (; window < load.length; window++) {
    clock.advance(REST_SETTINGS.windowMs);
    if (collections > collectedAt.length) collectedAt.push(window);
  }
  // Windows 5, 6 and 7 are the first three quiet ones after the heap grew.
  assert.deepEqual(collectedAt, [7]);
  stop();
  assert.equal(clock.pending, 0);
});

test('the memory-pressure collection gives back a heap full of garbage, without exposing gc()', () => {
  let garbage: { index: number; text: string }[] | undefined = Array.from(
    { length: 400_000 },
    (_, index) => ({
      index,
      text: `item ${index}`,
    }),
  );
  const before = getHeapStatistics().total_physical_size;
  assert.ok(garbage.length > 0);
  garbage = undefined;
  memoryPressureCollection()();
  const after = getHeapStatistics().total_physical_size;
  assert.ok(
    before - after > 16 * MiB,
    `heap ${(before / MiB).toFixed(1)} -> ${(after / MiB).toFixed(1)} MiB`,
  );
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
});

test('a node started with --expose-gc keeps its gc() in every context', () => {
  const module = new URL('../src/release-at-rest.ts', import.meta.url).href;
  const script = `
    const { memoryPressureCollection } = await import(${JSON.stringify(module)});
    memoryPressureCollection()();
    const { runInNewContext } = await import('node:vm');
    console.log(typeof gc, runInNewContext('typeof gc'));`;
  const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(output.trim(), 'function function');
});
