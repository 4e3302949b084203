// The proxy's shared state: the records every policy keeps its counts in. One SharedState is made by
// the main thread and opened by each worker thread (same memory), or made privately by a one-process
// proxy and by tests. Two tables: `states` for records that live as long as the proxy (a breaker per
// route and target, a route's bucket, a retry budget) and `keys` for keyed rate-limit buckets, which an
// idle bucket hands over to a new key.
import { LeanCounter } from '@sre-stack/runtime/lean-metrics';
import { SharedTable, type TableBuffers } from './table.ts';

/** Data fields per record in `states`. */
export const STATE_WIDTH = 8;
/** Data fields per keyed bucket: three for the bucket, the last its idle-after time. */
export const KEY_WIDTH = 4;
const DEFAULT_STATE_SLOTS = 16_384;

const tableFull = new LeanCounter(
  'proxy_shared_state_full_total',
  'Records that found no room in the shared state table: "states" (that record then counts for this worker thread only) or "keys" (that client shares its route\'s overflow bucket).',
  ['table'],
  'sum',
);

export interface SharedStateBuffers {
  states: TableBuffers;
  keys: TableBuffers;
}

/** A record: its table and slot. Lock the slot around every read and write of its fields. */
export interface RecordRef {
  readonly table: SharedTable;
  readonly slot: number;
  /** Offset of the first field in table.data. */
  readonly base: number;
}

export class SharedState {
  readonly states: SharedTable;
  readonly keys: SharedTable;
  private warned = false;

  /** New state; `shared` puts it in SharedArrayBuffers for worker threads. */
  static create(options: { keySlots?: number; stateSlots?: number; shared?: boolean } = {}): SharedState {
    const shared = options.shared ?? true;
    return new SharedState({
      states: SharedTable.create(options.stateSlots ?? DEFAULT_STATE_SLOTS, STATE_WIDTH, false, shared)
        .shared,
      keys: SharedTable.create(options.keySlots ?? 4096, KEY_WIDTH, true, shared).shared,
    });
  }

  constructor(buffers: SharedStateBuffers) {
    this.states = new SharedTable(buffers.states);
    this.keys = new SharedTable(buffers.keys);
  }

  get buffers(): SharedStateBuffers {
    return { states: this.states.shared, keys: this.keys.shared };
  }

  /**
   * The record for `key` in `states` (unlocked), with `init` run on it when it is new. A full table
   * degrades to a record private to this thread: exact per thread, no longer across threads.
   */
  record(key: string, now: number, init?: (data: Float64Array, base: number) => void): RecordRef {
    const table = this.states;
    const slot = table.acquire(key, now, init);
    if (slot >= 0) {
      table.unlock(slot);
      return { table, slot, base: table.base(slot) };
    }
    tableFull.child('states').inc();
    if (!this.warned) {
      this.warned = true;
      process.emitWarning(
        `proxy shared state table full (${table.slots} records): ${key} is kept per thread`,
      );
    }
    return privateRecord(init);
  }

  /** Counts a keyed bucket that found no room (the caller uses its overflow bucket). */
  keysFull(): void {
    tableFull.child('keys').inc();
  }
}

/** A record of its own, outside any shared table (tests, and the fallback of a full table). */
export function privateRecord(init?: (data: Float64Array, base: number) => void): RecordRef {
  const table = SharedTable.create(2, STATE_WIDTH, false, false);
  const slot = table.acquire('private', 0, init);
  table.unlock(slot);
  return { table, slot, base: table.base(slot) };
}

/** Table size for keyed buckets: room for twice the keys the limits may hold, so probes stay short. */
export function keySlotsFor(maxKeys: number): number {
  return Math.min(2 ** 21, Math.max(1024, 2 * maxKeys));
}
