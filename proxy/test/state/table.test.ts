// The shared table's slot lock under contention: threads that add to one record under its lock lose no
// update, whether a thread gets the lock at once, after spinning, or after waiting for a notify.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SharedTable } from '../../src/state/table.ts';

const THREADS = 3;
const INCREMENTS = 20_000;

// Each thread locks the record's slot, reads, pauses (to hold the lock long enough that others spin
// and wait), and writes the sum back.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { buffers, slot, increments, table } = workerData;
const data = new Float64Array(buffers.data);
import(table).then(({ SharedTable }) => {
  const shared = new SharedTable(buffers);
  for (let index = 0; index < increments; index++) {
    shared.lock(slot);
    const value = data[shared.base(slot)];
    for (let spin = 0; spin < 50; spin++) Math.sqrt(spin);
    data[shared.base(slot)] = value + 1;
    shared.unlock(slot);
  }
  parentPort.postMessage('done');
});
`;

describe('SharedTable lock', () => {
  it('keeps every update of threads contending for one slot', async () => {
    const table = SharedTable.create(4, 2);
    const slot = table.acquire('contended', 0);
    assert.ok(slot >= 0);
    table.unlock(slot);
    const url = new URL('../../src/state/table.ts', import.meta.url).href;
    const workers = Array.from(
      { length: THREADS },
      () =>
        new Worker(WORKER, {
          eval: true,
          workerData: { buffers: table.shared, slot, increments: INCREMENTS, table: url },
        }),
    );
    const done = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        }),
    );
    const timeout = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('the threads did not finish within 60 s')), 60_000).unref();
    });
    try {
      await Promise.race([Promise.all(done), timeout]);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
    assert.equal(table.data[table.base(slot)], THREADS * INCREMENTS);
  });
});
