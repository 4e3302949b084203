// The proxy's heap settings (see the runtime's heap.ts). Its heap is requests in flight, many more of
// them than the other services hold: with their compact heap (8 MiB young generation, 20 % old-generation
// margin) a scavenge comes every ~150 requests. Twice the young generation and a 50 % margin cut GC time
// per request by a third, for about 8 MiB more RSS after load (BENCHMARKS.md); at rest nothing changes.
// The main thread sets them for the process; worker threads get the same young generation as a limit.
import type { HeapSettings } from '@sre-stack/runtime/cli';

export const PROXY_HEAP = {
  youngGenerationCapMiB: 16,
  oldGenerationGrowthPercent: 50,
} as const satisfies HeapSettings;
