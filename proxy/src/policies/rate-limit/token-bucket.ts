// One bucket on a record of its own: an algorithm of algorithms.ts with a class's interface, for code
// and tests that hold one bucket. Times are milliseconds on the caller's clock.
import { privateRecord, type RecordRef } from '../../state/state.ts';
import { type Algorithm, type Limit, tokenBucket } from './algorithms.ts';

export class RecordBucket implements Limit {
  readonly capacity: number;
  readonly windowMs: number;
  private readonly record: RecordRef;
  private readonly algorithm: Algorithm;
  private lastNow: number;

  constructor(algorithm: Algorithm, capacity: number, windowMs: number, now: number) {
    this.algorithm = algorithm;
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.lastNow = now;
    this.record = privateRecord((data, base) => algorithm.init(data, base, now, { capacity, windowMs }));
  }

  take(now: number): boolean {
    this.lastNow = now;
    return this.algorithm.take(this.record.table.data, this.record.base, now, this);
  }

  refill(now: number): void {
    this.lastNow = now;
    this.algorithm.refresh(this.record.table.data, this.record.base, now, this);
  }

  get remaining(): number {
    return this.algorithm.remaining(this.record.table.data, this.record.base, this);
  }

  msUntilToken(): number {
    return this.algorithm.msUntilToken(this.record.table.data, this.record.base, this.lastNow, this);
  }

  msUntilFull(): number {
    return this.algorithm.msUntilFull(this.record.table.data, this.record.base, this.lastNow, this);
  }

  /** A full bucket (unused window) holds no state worth keeping: a new one would be the same. */
  isFull(now: number): boolean {
    this.refill(now);
    return now >= this.algorithm.idleAfter(this.record.table.data, this.record.base, this);
  }
}

export class TokenBucket extends RecordBucket {
  constructor(capacity: number, windowMs: number, now: number) {
    super(tokenBucket, capacity, windowMs, now);
  }
}
