// A fixed window on a record of its own: the fixed-window algorithm (algorithms.ts) with a class's
// interface. Times are milliseconds on the caller's clock.
import { fixedWindow } from './algorithms.ts';
import { RecordBucket } from './token-bucket.ts';

export class FixedWindow extends RecordBucket {
  constructor(capacity: number, windowMs: number, now: number) {
    super(fixedWindow, capacity, windowMs, now);
  }
}
