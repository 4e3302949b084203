// A fixed-size hash table of numeric records in shared memory: every worker thread of the proxy sees the
// same records, so a breaker, a rate limit or a retry budget holds one count for the whole proxy.
//
// Each slot has a control part (Int32: lock, two hash words, a spare) and a data part (`width` Float64s).
// A record is read and written only while its slot is locked (a compare-and-swap spin lock; the
// critical sections are a few arithmetic operations, never I/O). A lock word is FREE, HELD or
// WAITED_FOR (held, and a thread may be waiting): an unlock calls Atomics.notify only in the last
// case, as a futex-based mutex does, since notify is a call into the runtime even with no waiter.
// Keys are strings hashed to 64 bits; two keys with the same 64-bit hash would share a record (odds
// about 1 in 10^19 per pair).
//
// Slots are never freed. A table created with `reclaim` lets a new key take over a slot whose record
// says it is idle (its last data field is the time after which it holds nothing worth keeping): that is
// how the keyed rate-limit buckets stay bounded. A key that finds no slot within PROBE slots of its home
// gets -1: the caller degrades (see SharedState).
const CONTROL = 4; // lock, hash a, hash b, spare
const LOCK = 0;
const HASH_A = 1;
const HASH_B = 2;
/** Slots looked at from a key's home slot before giving up. */
const PROBE = 32;
const SPINS_BEFORE_YIELD = 64;
const FREE = 0;
const HELD = 1;
const WAITED_FOR = 2;

export interface TableBuffers {
  control: SharedArrayBuffer | ArrayBuffer;
  data: SharedArrayBuffer | ArrayBuffer;
  slots: number;
  width: number;
  reclaim: boolean;
}

export class SharedTable {
  readonly control: Int32Array;
  readonly data: Float64Array;
  readonly slots: number;
  readonly width: number;
  /** Whether idle records may be taken over by new keys (their last field is their idle-after time). */
  readonly reclaim: boolean;
  private readonly buffers: TableBuffers;
  /** The table-wide lock that makes claiming a slot exact (control slot 0's spare word). */
  private readonly insertLock = 3;

  /** A table in shared memory, to be handed to worker threads with buffers(). */
  static create(slots: number, width: number, reclaim = false, shared = true): SharedTable {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, slots)));
    const Buffer = shared ? SharedArrayBuffer : ArrayBuffer;
    return new SharedTable({
      control: new Buffer(size * CONTROL * 4),
      data: new Buffer(size * width * 8),
      slots: size,
      width,
      reclaim,
    });
  }

  constructor(buffers: TableBuffers) {
    this.buffers = buffers;
    this.control = new Int32Array(buffers.control);
    this.data = new Float64Array(buffers.data);
    this.slots = buffers.slots;
    this.width = buffers.width;
    this.reclaim = buffers.reclaim;
  }

  /** What another thread needs to open the same table. */
  get shared(): TableBuffers {
    return this.buffers;
  }

  lock(slot: number): void {
    acquireLock(this.control, slot * CONTROL + LOCK);
  }

  unlock(slot: number): void {
    releaseLock(this.control, slot * CONTROL + LOCK);
  }

  /** Offset of a slot's first data field in `data`. */
  base(slot: number): number {
    return slot * this.width;
  }

  /**
   * The slot holding `key`, locked; claimed (data zeroed, then `init`) when the key is new. -1 when the
   * key is new and no slot near its home is free (or idle, for a reclaiming table) at `now`.
   */
  acquire(key: string, now: number, init?: (data: Float64Array, base: number) => void): number {
    const [a, b] = hash(key);
    const found = this.find(a, b);
    if (found >= 0) return found;
    // Claims go one at a time, so two threads adding the same key end up on the same slot.
    this.lockInsert();
    try {
      const again = this.find(a, b);
      if (again >= 0) return again;
      return this.claim(a, b, now, init);
    } finally {
      this.unlockInsert();
    }
  }

  /** Whether `slot` still holds `key` (call with the slot locked; a reclaimed slot holds another). */
  holds(slot: number, key: string): boolean {
    const [a, b] = hash(key);
    return this.control[slot * CONTROL + HASH_A] === a && this.control[slot * CONTROL + HASH_B] === b;
  }

  private find(a: number, b: number): number {
    const control = this.control;
    const mask = this.slots - 1;
    for (let probe = 0; probe < PROBE; probe++) {
      const slot = (a + probe) & mask;
      const offset = slot * CONTROL;
      const slotA = Atomics.load(control, offset + HASH_A);
      const slotB = Atomics.load(control, offset + HASH_B);
      if (slotA === 0 && slotB === 0) return -1;
      if (slotA !== a || slotB !== b) continue;
      this.lock(slot);
      // Reclaimed by another key between the look and the lock: look again from the start.
      if (control[offset + HASH_A] === a && control[offset + HASH_B] === b) return slot;
      this.unlock(slot);
      return this.find(a, b);
    }
    return -1;
  }

  private claim(
    a: number,
    b: number,
    now: number,
    init: ((data: Float64Array, base: number) => void) | undefined,
  ): number {
    const control = this.control;
    const mask = this.slots - 1;
    const width = this.width;
    for (let probe = 0; probe < PROBE; probe++) {
      const slot = (a + probe) & mask;
      const offset = slot * CONTROL;
      this.lock(slot);
      const empty = control[offset + HASH_A] === 0 && control[offset + HASH_B] === 0;
      const idle = !empty && this.reclaim && now >= (this.data[slot * width + width - 1] as number);
      if (empty || idle) {
        Atomics.store(control, offset + HASH_A, a);
        Atomics.store(control, offset + HASH_B, b);
        this.data.fill(0, slot * width, slot * width + width);
        init?.(this.data, slot * width);
        return slot;
      }
      this.unlock(slot);
    }
    return -1;
  }

  private lockInsert(): void {
    acquireLock(this.control, this.insertLock);
  }

  private unlockInsert(): void {
    releaseLock(this.control, this.insertLock);
  }
}

function acquireLock(control: Int32Array, index: number): void {
  if (Atomics.compareExchange(control, index, FREE, HELD) === FREE) return;
  for (let spins = 0; ; spins++) {
    if (spins < SPINS_BEFORE_YIELD) {
      if (Atomics.compareExchange(control, index, FREE, HELD) === FREE) return;
      continue;
    }
    // The holder may have been descheduled: wait a little instead of burning the core it needs. The
    // lock is then taken as WAITED_FOR, since another thread may be waiting beside this one.
    if (Atomics.exchange(control, index, WAITED_FOR) === FREE) return;
    Atomics.wait(control, index, WAITED_FOR, 0.05);
  }
}

function releaseLock(control: Int32Array, index: number): void {
  if (Atomics.exchange(control, index, FREE) === WAITED_FOR) Atomics.notify(control, index, 1);
}

/** Two 32-bit FNV-1a hashes with different offsets; never both 0 (that marks an empty slot). */
function hash(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a |= 0;
  b |= 0;
  if (a === 0 && b === 0) b = 1;
  return [a, b];
}
