// The prober's heap settings (see the runtime's heap.ts): the compact default, and a wider margin for the
// old generation while full collections come close together. Each run promotes about 13 KB (Node's
// socket graph, client/bench/young-survivors.ts); at 1,000 runs a second the 20 % margin fills in about
// a second, and a full collection each second put p99 schedule lag at 11 ms. With 100 % while busy:
// 8.5 ms and 12 % less CPU, for about 30 MiB more RSS at that rate. At 200 runs a second full
// collections come every 3.6 s and the margin stays compact (BENCHMARKS.md).
import type { HeapSettings } from '@sre-stack/runtime/cli';

export const PROBER_HEAP = {
  busyOldGeneration: { growthPercent: 100, gaps: 3, withinMs: 2000, calmMs: 10_000 },
} as const satisfies HeapSettings;
