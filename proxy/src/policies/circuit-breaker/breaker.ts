// A circuit breaker's state machine. Closed: requests pass, consecutive failures are counted. Open:
// everything is refused for `openForMs`. Half-open: exactly one trial passes; its success closes the
// circuit, its failure (or no verdict within `trialTimeoutMs`, so a hung trial cannot wedge it) reopens it.
import type { Clock } from '../../clock.ts';

export type CircuitState = 'closed' | 'half_open' | 'open';

export interface BreakerSettings {
  consecutiveFailures: number;
  openForMs: number;
  trialTimeoutMs: number;
}

/** A permit for a request passing a closed circuit. Trials get a positive generation number instead. */
export const PASS = 0;

export class CircuitBreaker {
  state: CircuitState = 'closed';
  failures = 0;
  private readonly settings: BreakerSettings;
  private readonly clock: Clock;
  private readonly onChange: (to: CircuitState, from: CircuitState) => void;
  private openUntil = 0;
  private trialUntil = 0;
  private trial = 0;
  private trialInFlight = false;
  private timer: unknown;

  constructor(
    settings: BreakerSettings,
    clock: Clock,
    onChange: (to: CircuitState, from: CircuitState) => void,
  ) {
    this.settings = settings;
    this.clock = clock;
    this.onChange = onChange;
  }

  /** PASS or a trial number when the request may go; null when the circuit refuses it. */
  acquire(): number | null {
    if (this.state === 'closed') return PASS;
    if (this.state === 'open' || this.trialInFlight) return null;
    this.trialInFlight = true;
    this.trial++;
    const trial = this.trial;
    this.trialUntil = this.clock.now() + this.settings.trialTimeoutMs;
    this.timer = this.clock.setTimeout(() => {
      if (this.state === 'half_open' && this.trialInFlight && this.trial === trial) this.open();
    }, this.settings.trialTimeoutMs);
    return trial;
  }

  /** Reports a request's verdict: true success, false failure, null no verdict (the client left). */
  release(permit: number, success: boolean | null): void {
    if (permit === PASS) {
      if (this.state !== 'closed' || success === null) return;
      if (success) {
        this.failures = 0;
      } else if (++this.failures >= this.settings.consecutiveFailures) {
        this.open();
      }
      return;
    }
    // A late verdict of an old trial (it timed out and the circuit moved on) changes nothing.
    if (this.state !== 'half_open' || permit !== this.trial || !this.trialInFlight) return;
    this.clock.clearTimeout(this.timer);
    this.trialInFlight = false;
    if (success === true) this.close();
    else if (success === false) this.open();
  }

  /** Whether acquire() would let a request through now (without claiming a trial). */
  get admitting(): boolean {
    return this.state === 'closed' || (this.state === 'half_open' && !this.trialInFlight);
  }

  /** Seconds a refused client should wait: the rest of the open period, or of the trial. */
  retryAfterSeconds(): number {
    const until = this.state === 'open' ? this.openUntil : this.trialUntil;
    return Math.max(1, Math.ceil((until - this.clock.now()) / 1000));
  }

  dispose(): void {
    this.clock.clearTimeout(this.timer);
  }

  private open(): void {
    const from = this.state;
    this.clock.clearTimeout(this.timer);
    this.state = 'open';
    this.trialInFlight = false;
    this.openUntil = this.clock.now() + this.settings.openForMs;
    this.timer = this.clock.setTimeout(() => this.halfOpen(), this.settings.openForMs);
    this.onChange('open', from);
  }

  private halfOpen(): void {
    if (this.state !== 'open') return;
    this.state = 'half_open';
    this.trialInFlight = false;
    this.onChange('half_open', 'open');
  }

  private close(): void {
    const from = this.state;
    this.state = 'closed';
    this.failures = 0;
    this.onChange('closed', from);
  }
}
