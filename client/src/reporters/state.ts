// Flap suppression: a probe goes down after N consecutive failures and comes back up after M
// consecutive successes. Every run is still recorded raw; only the state changes less often.

export type ProbeStatus = 'unknown' | 'up' | 'down';

export interface Transition {
  from: ProbeStatus;
  to: ProbeStatus;
}

export interface StateSnapshot {
  status: ProbeStatus;
  since?: string;
  consecutive_failures: number;
  consecutive_successes: number;
}

export class StateTracker {
  status: ProbeStatus = 'unknown';
  since: number | undefined;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  readonly #failureThreshold: number;
  readonly #successThreshold: number;

  constructor(failureThreshold: number, successThreshold: number) {
    this.#failureThreshold = failureThreshold;
    this.#successThreshold = successThreshold;
  }

  /** Records one run; returns the transition it caused, if any. */
  record(success: boolean, at: number): Transition | undefined {
    if (success) {
      this.consecutiveSuccesses++;
      this.consecutiveFailures = 0;
    } else {
      this.consecutiveFailures++;
      this.consecutiveSuccesses = 0;
    }
    const from = this.status;
    let to = from;
    if (success) {
      // From unknown, one success is enough: there is no outage to confirm the end of.
      if (from === 'unknown' || (from === 'down' && this.consecutiveSuccesses >= this.#successThreshold))
        to = 'up';
    } else if (from !== 'down' && this.consecutiveFailures >= this.#failureThreshold) {
      to = 'down';
    }
    if (to === from) return undefined;
    this.status = to;
    this.since = at;
    return { from, to };
  }

  snapshot(): StateSnapshot {
    return {
      status: this.status,
      ...(this.since === undefined ? {} : { since: new Date(this.since).toISOString() }),
      consecutive_failures: this.consecutiveFailures,
      consecutive_successes: this.consecutiveSuccesses,
    };
  }
}
