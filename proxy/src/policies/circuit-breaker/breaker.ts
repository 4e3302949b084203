// A circuit breaker's state machine, kept in a shared record so that every worker thread of the proxy
// counts the same failures and sees the same circuit. Closed: requests pass, consecutive failures are
// counted. Open: everything is refused for `openForMs`. Half-open: exactly one trial passes; its success
// closes the circuit, its failure (or no verdict within `trialTimeoutMs`, so a hung trial cannot wedge
// it) reopens it. A target that keeps failing its trials stays out longer each time (outlier ejection
// as Envoy does it): the nth opening in a row lasts n × openForMs, at most maxOpenForMs; a close starts
// the count again.
//
// There are no timers: the open period and the trial's timeout are deadlines in the record, and the
// first look at the circuit after one passes makes the transition (and reports it, once, from whichever
// thread made it). Times are the clock's epoch milliseconds, the same in every thread.
import type { Clock } from '../../clock.ts';
import { privateRecord, type RecordRef } from '../../state/state.ts';

export type CircuitState = 'closed' | 'half_open' | 'open';

export interface BreakerSettings {
  consecutiveFailures: number;
  openForMs: number;
  /** The longest opening; equal to openForMs for a fixed period. */
  maxOpenForMs: number;
  trialTimeoutMs: number;
}

/** A permit for a request passing a closed circuit. Trials get a positive generation number instead. */
export const PASS = 0;

// Fields of the record.
const STATE = 0;
const FAILURES = 1;
const OPEN_UNTIL = 2;
const TRIAL_UNTIL = 3;
const TRIAL = 4;
const TRIAL_IN_FLIGHT = 5;
/** Openings in a row without a close in between: the nth lasts n × openForMs (capped). */
const OPENINGS = 6;

const CLOSED = 0;
const HALF_OPEN = 1;
const OPEN = 2;
const NAMES: CircuitState[] = ['closed', 'half_open', 'open'];

/** A transition; `openForMs` is the length of the period an opening starts (0 for the others). */
type Change = (to: CircuitState, from: CircuitState, openForMs: number) => void;

export class CircuitBreaker {
  private readonly settings: BreakerSettings;
  private readonly clock: Clock;
  private readonly onChange: Change;
  private readonly record: RecordRef;
  /** Transitions made under the lock (to, from, period), reported after it is released (at most three per call). */
  private changes: number[] = [];

  constructor(
    settings: BreakerSettings,
    clock: Clock,
    onChange: Change,
    record: RecordRef = privateRecord(),
  ) {
    this.settings = settings;
    this.clock = clock;
    this.onChange = onChange;
    this.record = record;
  }

  /** The state now (a passed deadline is applied first). */
  get state(): CircuitState {
    const { table, slot, base } = this.record;
    table.lock(slot);
    this.advance(table.data, base, this.clock.now());
    const state = table.data[base + STATE] as number;
    table.unlock(slot);
    this.report();
    return NAMES[state] as CircuitState;
  }

  /** Consecutive failures counted while closed. */
  get failures(): number {
    const { table, base } = this.record;
    return table.data[base + FAILURES] as number;
  }

  /** PASS or a trial number when the request may go; null when the circuit refuses it. */
  acquire(): number | null {
    const { table, slot, base } = this.record;
    const data = table.data;
    const now = this.clock.now();
    table.lock(slot);
    let permit: number | null = null;
    const state = data[base + STATE];
    if (state === CLOSED) permit = PASS;
    else {
      this.advance(data, base, now);
      if (data[base + STATE] === HALF_OPEN && data[base + TRIAL_IN_FLIGHT] === 0) {
        data[base + TRIAL_IN_FLIGHT] = 1;
        permit = ++(data[base + TRIAL] as number);
        data[base + TRIAL] = permit;
        data[base + TRIAL_UNTIL] = now + this.settings.trialTimeoutMs;
      }
    }
    table.unlock(slot);
    if (this.changes.length > 0) this.report();
    return permit;
  }

  /** Reports a request's verdict: true success, false failure, null no verdict (the client left). */
  release(permit: number, success: boolean | null): void {
    if (success === null && permit === PASS) return;
    const { table, slot, base } = this.record;
    const data = table.data;
    const now = this.clock.now();
    table.lock(slot);
    this.advance(data, base, now);
    const state = data[base + STATE];
    if (permit === PASS) {
      if (state === CLOSED) {
        if (success) data[base + FAILURES] = 0;
        else if (++(data[base + FAILURES] as number) >= this.settings.consecutiveFailures) {
          data[base + FAILURES] = this.settings.consecutiveFailures;
          this.open(data, base, now);
        }
      }
      // A late verdict of a request admitted before the circuit opened changes nothing.
    } else if (state === HALF_OPEN && permit === data[base + TRIAL] && data[base + TRIAL_IN_FLIGHT] === 1) {
      data[base + TRIAL_IN_FLIGHT] = 0;
      if (success === true) {
        data[base + STATE] = CLOSED;
        data[base + FAILURES] = 0;
        data[base + OPENINGS] = 0;
        this.changes.push(CLOSED, HALF_OPEN, 0);
      } else if (success === false) this.open(data, base, now);
    }
    table.unlock(slot);
    if (this.changes.length > 0) this.report();
  }

  /** Whether acquire() would let a request through now (without claiming a trial). */
  get admitting(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    const { table, base } = this.record;
    return state === 'half_open' && table.data[base + TRIAL_IN_FLIGHT] === 0;
  }

  /** Seconds a refused client should wait: the rest of the open period, or of the trial. */
  retryAfterSeconds(): number {
    const { table, base } = this.record;
    const open = table.data[base + STATE] === OPEN;
    const until = (table.data[base + (open ? OPEN_UNTIL : TRIAL_UNTIL)] as number) ?? 0;
    return Math.max(1, Math.ceil((until - this.clock.now()) / 1000));
  }

  /** Nothing to stop: the breaker has no timers. */
  dispose(): void {}

  /** Applies the deadlines that passed by `now`: open → half-open, a hung trial → open again. */
  private advance(data: Float64Array, base: number, now: number): void {
    for (let step = 0; step < 4; step++) {
      const state = data[base + STATE];
      if (state === OPEN && now >= (data[base + OPEN_UNTIL] as number)) {
        data[base + STATE] = HALF_OPEN;
        data[base + TRIAL_IN_FLIGHT] = 0;
        this.changes.push(HALF_OPEN, OPEN, 0);
      } else if (
        state === HALF_OPEN &&
        data[base + TRIAL_IN_FLIGHT] === 1 &&
        now >= (data[base + TRIAL_UNTIL] as number)
      ) {
        // The trial gave no verdict in time: reopened from the moment its time ran out.
        this.open(data, base, data[base + TRIAL_UNTIL] as number);
      } else return;
    }
  }

  /** Opens the circuit: from closed for openForMs, from a failed trial for longer each time. */
  private open(data: Float64Array, base: number, at: number): void {
    const from = data[base + STATE] as number;
    const openings = from === CLOSED ? 1 : (data[base + OPENINGS] as number) + 1;
    const { openForMs, maxOpenForMs } = this.settings;
    const period = Math.min(Math.max(openForMs, maxOpenForMs), openings * openForMs);
    data[base + STATE] = OPEN;
    data[base + TRIAL_IN_FLIGHT] = 0;
    data[base + OPENINGS] = openings;
    data[base + OPEN_UNTIL] = at + period;
    this.changes.push(OPEN, from, period);
  }

  private report(): void {
    const changes = this.changes;
    if (changes.length === 0) return;
    this.changes = [];
    for (let index = 0; index < changes.length; index += 3) {
      this.onChange(
        NAMES[changes[index] as number] as CircuitState,
        NAMES[changes[index + 1] as number] as CircuitState,
        changes[index + 2] as number,
      );
    }
  }
}

/** The state a record shows at `now`, without changing it (for the state gauge). */
export function stateAt(record: RecordRef, now: number): number {
  const { table, slot, base } = record;
  table.lock(slot);
  const data = table.data;
  let state = data[base + STATE] as number;
  if (state === OPEN && now >= (data[base + OPEN_UNTIL] as number)) state = HALF_OPEN;
  table.unlock(slot);
  return state;
}
