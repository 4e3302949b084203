import type { Clock } from '../../src/clock.ts';

/** A clock whose time moves only when the test says so; timers fire in deadline order. */
export class FakeClock implements Clock {
  #now: number;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimeout = (callback: () => void, delayMs: number): unknown => {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward, firing due timers; `lateBy` makes each timer fire that much after its deadline.
   * Promise callbacks run between timers, as they would between real ones.
   */
  async advance(ms: number, lateBy = 0): Promise<void> {
    const end = this.#now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next || next[1].at + lateBy > end) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at + lateBy);
      next[1].callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = end;
  }
}
