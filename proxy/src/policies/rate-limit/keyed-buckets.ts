// A rate limit's buckets in the shared state: one for the route, or one per key (client IP, a header's
// value) in the shared `keys` table, so that the limit holds for the whole proxy, whatever the number of
// worker threads. A key's bucket that is idle (full again, or its window unused) is handed to a new key
// when the table needs room; a key that finds no room shares the route's overflow bucket (counted by
// proxy_shared_state_full_total{table="keys"}), so a flood of new keys is limited, never crashes.
import { KEY_WIDTH, type RecordRef, type SharedState } from '../../state/state.ts';
import type { Algorithm, Limit } from './algorithms.ts';

export interface TakeResult {
  passed: boolean;
  remaining: number;
  msUntilToken: number;
  msUntilFull: number;
}

const IDLE_AFTER = KEY_WIDTH - 1;

export class SharedBuckets {
  private readonly shared: SharedState;
  private readonly prefix: string;
  private readonly algorithm: Algorithm;
  private readonly limit: Limit;
  private readonly init: (data: Float64Array, base: number) => void;
  private routeRecord: RecordRef | undefined;
  private now = 0;

  constructor(shared: SharedState, prefix: string, algorithm: Algorithm, limit: Limit) {
    this.shared = shared;
    this.prefix = prefix;
    this.algorithm = algorithm;
    this.limit = limit;
    this.init = (data, base) => algorithm.init(data, base, this.now, limit);
  }

  /** Takes a permit from the route's bucket (key undefined) or the key's; fills `result`. */
  take(key: string | undefined, now: number, result: TakeResult): void {
    this.now = now;
    if (key !== undefined) {
      const keys = this.shared.keys;
      const slot = keys.acquire(`${this.prefix}|${key}`, now, this.init);
      if (slot >= 0) {
        const base = keys.base(slot);
        this.apply(keys.data, base, now, result);
        keys.data[base + IDLE_AFTER] = this.algorithm.idleAfter(keys.data, base, this.limit);
        keys.unlock(slot);
        return;
      }
      this.shared.keysFull();
    }
    // The route's bucket, also the overflow of a full key table.
    this.routeRecord ??= this.shared.record(`${this.prefix}|`, now, this.init);
    const { table, slot, base } = this.routeRecord;
    table.lock(slot);
    this.apply(table.data, base, now, result);
    table.unlock(slot);
  }

  private apply(data: Float64Array, base: number, now: number, result: TakeResult): void {
    const { algorithm, limit } = this;
    result.passed = algorithm.take(data, base, now, limit);
    result.remaining = algorithm.remaining(data, base, limit);
    result.msUntilToken = algorithm.msUntilToken(data, base, now, limit);
    result.msUntilFull = algorithm.msUntilFull(data, base, now, limit);
  }
}
