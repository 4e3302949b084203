// The young-generation cap holds under allocation churn (V8 would otherwise grow it to 64 MiB or more),
// give or take the one doubling that can happen before the observer runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { BusyMargin, keepHeapCompact, YOUNG_GENERATION_CAP_MIB } from '../src/heap.ts';

const youngMiB = () =>
  (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20;

test('the young generation stays within its cap while short-lived objects churn', async (t) => {
  if (/semi-space|heap-growing/.test(`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`)) {
    t.skip('the runner set V8 heap flags itself, which keepHeapCompact leaves alone');
    return;
  }
  keepHeapCompact({}, 0); // start-up already over: the observer runs from the first collection
  let kept: { index: number; text: string }[] = [];
  let largest = 0;
  // Bounded: 40 turns of the event loop, so the GC observer runs between bursts as it does in a service.
  for (let turn = 0; turn < 40; turn++) {
    for (let index = 0; index < 50_000; index++) {
      kept.push({ index, text: `item ${index}` });
      if (kept.length > 5_000) kept = [];
    }
    largest = Math.max(largest, youngMiB());
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Growth is switched off from a GC observer, which runs between bursts: within one burst it may grow
  // once more past the cap, to 16 MiB, and the space's size also counts pages V8 has taken ahead (9-11
  // MiB seen on a quiet host, 12.25 on Node 24.22, 17 on a busy CI host). Without the cap it reaches
  // 32-64 MiB, so the bound sits between the two.
  assert.ok(largest < 3 * YOUNG_GENERATION_CAP_MIB, `young generation reached ${largest} MiB`);
});

test('the old generation widens its margin only while full collections keep coming close together', () => {
  const margin = new BusyMargin({ growthPercent: 100, gaps: 3, withinMs: 2000, calmMs: 10_000 });
  const changes: boolean[] = [];
  let at = 0;
  const collectAfter = (gapMs: number) => {
    at += gapMs;
    if (margin.fullCollectionAt(at)) changes.push(margin.busy);
  };
  // Start-up: a few close collections, then a service at 200 runs a second (one every 3.6 s).
  for (const gap of [0, 210, 490, 3600, 3630, 3900, 3600]) collectAfter(gap);
  assert.deepEqual(changes, [], 'start-up and a moderate load keep the compact margin');
  // 1,000 runs a second: one a second. Busy after the third short gap in a row.
  collectAfter(1000);
  collectAfter(1000);
  assert.equal(margin.busy, false);
  collectAfter(1000);
  assert.deepEqual(changes, [true]);
  // With the wide margin the gaps lengthen (about 4.6 s): still busy.
  for (let index = 0; index < 5; index++) collectAfter(4600);
  assert.deepEqual(changes, [true]);
  // The load drops: the next gap is long, and the margin narrows again.
  collectAfter(23_000);
  assert.deepEqual(changes, [true, false]);
  assert.equal(margin.busy, false);
});
