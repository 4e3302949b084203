// node bench/shared-state.ts: what the policies' shared state costs per request. One request makes the
// state operations of "every policy on": a rate-limit take, a breaker acquire and release, a retry
// budget enter and leave. Measured in one thread (no contention), then with every thread of a
// --workers N proxy doing the same on the same records at once (worst case: one hot route and target).
// Prints a table with the host's load average; nothing here sends traffic.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type Clock, systemClock } from '../src/clock.ts';
import { CircuitBreaker } from '../src/policies/circuit-breaker/breaker.ts';
import { fixedWindow } from '../src/policies/rate-limit/algorithms.ts';
import { SharedBuckets, type TakeResult } from '../src/policies/rate-limit/keyed-buckets.ts';
import { RetryBudget } from '../src/policies/retry/budget.ts';
import { SharedState, type SharedStateBuffers } from '../src/state/state.ts';

const REQUESTS = 2_000_000;

function requests(shared: SharedState, clock: Clock, count: number): number {
  const now = clock.now();
  const settings = { consecutiveFailures: 5, openForMs: 10_000, maxOpenForMs: 10_000, trialTimeoutMs: 5_000 };
  const breaker = new CircuitBreaker(settings, clock, () => {}, shared.record('bench|breaker', now));
  const budget = new RetryBudget(20, 3, shared.record('bench|budget', now));
  const limit = new SharedBuckets(shared, 'bench|limit', fixedWindow, { capacity: 1e12, windowMs: 1000 });
  const taken: TakeResult = { passed: false, remaining: 0, msUntilToken: 0, msUntilFull: 0 };
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    limit.take(undefined, clock.now(), taken);
    budget.enter();
    const permit = breaker.acquire();
    if (permit !== null) breaker.release(permit, true);
    budget.leave();
  }
  return ((performance.now() - started) * 1e6) / count;
}

if (!isMainThread) {
  const data = workerData as { buffers: SharedStateBuffers; count: number };
  parentPort?.postMessage(requests(new SharedState(data.buffers), systemClock, data.count));
} else {
  const threads = Math.max(2, availableParallelism());
  const single = requests(SharedState.create({ shared: false }), systemClock, REQUESTS);
  const sharedOne = requests(SharedState.create(), systemClock, REQUESTS);
  const state = SharedState.create();
  const perThread = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { buffers: state.buffers, count: REQUESTS / threads },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const contended = perThread.reduce((sum, value) => sum + value, 0) / perThread.length;
  process.stdout.write(
    [
      `Shared state per request (rate-limit take, breaker acquire + release, budget enter + leave); ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, Node ${process.version}, load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
      '',
      '| where | ns per request |',
      '| --- | ---: |',
      `| one thread, private memory (--workers 1) | ${single.toFixed(0)} |`,
      `| one thread, SharedArrayBuffer | ${sharedOne.toFixed(0)} |`,
      `| ${threads} threads at once on the same records (worst case) | ${contended.toFixed(0)} |`,
      '',
    ].join('\n'),
  );
}
