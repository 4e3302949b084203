// A retry budget (Envoy's retry_budget): retries in progress may be at most `percent` of the route's
// active requests, but at least `minConcurrent`. A dead upstream then sees the load grow by that share,
// not by the retry count times the load. Both counts live in a shared record, so the budget holds for
// the whole proxy, whatever the number of worker threads.
import { privateRecord, type RecordRef } from '../../state/state.ts';

const ACTIVE_REQUESTS = 0;
const ACTIVE_RETRIES = 1;

export class RetryBudget {
  private readonly ratio: number;
  private readonly minConcurrent: number;
  private readonly record: RecordRef;

  constructor(percent: number, minConcurrent: number, record: RecordRef = privateRecord()) {
    this.ratio = percent / 100;
    this.minConcurrent = minConcurrent;
    this.record = record;
  }

  /** A request of the route starts (the budget's base). */
  enter(): void {
    this.add(ACTIVE_REQUESTS, 1);
  }

  leave(): void {
    this.add(ACTIVE_REQUESTS, -1);
  }

  /** Retries in progress. */
  get active(): number {
    return this.record.table.data[this.record.base + ACTIVE_RETRIES] as number;
  }

  /**
   * Claims room for one retry; false when exhausted. The base is the requests counted by enter(), or
   * `activeRequests` when given (whichever is larger).
   */
  tryAcquire(activeRequests = 0): boolean {
    const { table, slot, base } = this.record;
    const data = table.data;
    table.lock(slot);
    const requests = Math.max(activeRequests, data[base + ACTIVE_REQUESTS] as number);
    const allowed = Math.max(this.minConcurrent, Math.floor(this.ratio * requests));
    const retries = data[base + ACTIVE_RETRIES] as number;
    const granted = retries < allowed;
    if (granted) data[base + ACTIVE_RETRIES] = retries + 1;
    table.unlock(slot);
    return granted;
  }

  release(): void {
    this.add(ACTIVE_RETRIES, -1);
  }

  private add(field: number, amount: number): void {
    const { table, slot, base } = this.record;
    table.lock(slot);
    table.data[base + field] = (table.data[base + field] as number) + amount;
    table.unlock(slot);
  }
}
