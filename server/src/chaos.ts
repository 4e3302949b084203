// The server's one piece of state: the steady code, whether flaky mode is on, and the chaos profile.

import { type ChaosProfile, DEFAULT_PROFILE } from './chaos-profile.ts';
import { sampleLatencyMs } from './latency.ts';
import { pickWeighted, type Random } from './random.ts';

/**
 * Who changed the state: the HTTP API, the config file, or the end of a pin putting back the state
 * from before it (a label on the changes counter).
 */
export type ChangeSource = 'api' | 'config' | 'pin_expired';
export type ChangeKind = 'status_code' | 'flaky' | 'profile';

export interface ChaosSnapshot {
  flaky: boolean;
  statusCode: number;
  profile: ChaosProfile;
  /** Epoch ms until which flaky mode and the profile are pinned (PUT /flaky with a duration). */
  pinnedUntil?: number;
}

/** The time the pin is measured in; injected so tests run on a fake clock. */
export interface PinClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: PinClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What one /status request answers. */
export interface StatusDecision {
  code: number;
  /** Injected delay before answering; 0 when flaky mode is off. */
  delayMs: number;
  flaky: boolean;
  /** True when the code was drawn from the profile's set rather than being the steady code. */
  injected: boolean;
}

export interface Chaos {
  readonly snapshot: ChaosSnapshot;
  /** Returns true when the code changed (POST /status answers 202 then, 200 otherwise). */
  setStatusCode(code: number, source: ChangeSource): boolean;
  /** Returns the new state: on or off. */
  toggleFlaky(source: ChangeSource): boolean;
  setFlaky(flaky: boolean, source: ChangeSource): void;
  setProfile(profile: ChaosProfile, source: ChangeSource): void;
  /**
   * Runs `apply` (which sets the profile and flaky mode) and pins the result for `durationMs`: until
   * then the API must not toggle it (see `pinnedUntil`), and the config file's changes wait. When it
   * ends, flaky mode and the profile go back to what they were before the first pin of the run.
   */
  pin(durationMs: number, apply: () => void): void;
  /** Epoch ms the current pin ends at; undefined when nothing is pinned. */
  readonly pinnedUntil: number | undefined;
  decide(): StatusDecision;
  onChange(listener: (snapshot: ChaosSnapshot, kind: ChangeKind, source: ChangeSource) => void): void;
}

export interface ChaosOptions {
  random: Random;
  clock?: PinClock;
  statusCode?: number;
  flaky?: boolean;
  profile?: ChaosProfile;
}

/**
 * Unlike the Go original, flaky mode never overwrites the steady code: the random code is drawn per
 * request, so turning flaky mode off returns to the code last set with POST /status/{code}.
 */
export function createChaos(options: ChaosOptions): Chaos {
  const { random } = options;
  const clock = options.clock ?? systemClock;
  let statusCode = options.statusCode ?? 200;
  let flaky = options.flaky ?? false;
  let profile = options.profile ?? DEFAULT_PROFILE;
  const listeners: ((snapshot: ChaosSnapshot, kind: ChangeKind, source: ChangeSource) => void)[] = [];
  /** While pinned: when it ends, and what to go back to (the config file's edits land here meanwhile). */
  let pinned:
    | { until: number; timer: unknown; restore: { flaky: boolean; profile: ChaosProfile } }
    | undefined;

  const snapshot = (): ChaosSnapshot =>
    pinned ? { flaky, statusCode, profile, pinnedUntil: pinned.until } : { flaky, statusCode, profile };
  const changed = (kind: ChangeKind, source: ChangeSource) => {
    const current = snapshot();
    for (const listener of listeners) listener(current, kind, source);
  };
  const setFlakyState = (next: boolean, source: ChangeSource) => {
    if (next === flaky) return;
    flaky = next;
    changed('flaky', source);
  };
  // The timer ends a pin on time; the check on every read makes that exact even if a timer runs late.
  const releaseIfDue = () => {
    if (!pinned || clock.now() < pinned.until) return;
    const { restore, timer } = pinned;
    clock.clearTimeout(timer);
    pinned = undefined;
    profile = restore.profile;
    changed('profile', 'pin_expired');
    setFlakyState(restore.flaky, 'pin_expired');
  };

  return {
    get snapshot() {
      releaseIfDue();
      return snapshot();
    },
    get pinnedUntil() {
      releaseIfDue();
      return pinned?.until;
    },
    setStatusCode(code, source) {
      if (code === statusCode) return false;
      statusCode = code;
      changed('status_code', source);
      return true;
    },
    toggleFlaky(source) {
      flaky = !flaky;
      changed('flaky', source);
      return flaky;
    },
    setFlaky(next, source) {
      releaseIfDue();
      if (pinned && source === 'config') pinned.restore.flaky = next;
      else setFlakyState(next, source);
    },
    setProfile(next, source) {
      releaseIfDue();
      if (pinned && source === 'config') {
        pinned.restore.profile = next;
        return;
      }
      profile = next;
      changed('profile', source);
    },
    pin(durationMs, apply) {
      releaseIfDue();
      const restore = pinned?.restore ?? { flaky, profile };
      if (pinned) clock.clearTimeout(pinned.timer);
      const until = clock.now() + durationMs;
      const end = () => {
        if (pinned?.until === until) pinned.until = Math.min(until, clock.now());
        releaseIfDue();
      };
      pinned = { until, restore, timer: clock.setTimeout(end, durationMs) };
      apply();
    },
    decide() {
      releaseIfDue();
      if (!flaky) return { code: statusCode, delayMs: 0, flaky: false, injected: false };
      // Both draws happen up front, so a profile change during the delay cannot mix two profiles.
      const delayMs = sampleLatencyMs(profile.latency, random);
      const injected = profile.errorProbability >= 1 || random() < profile.errorProbability;
      const code = injected ? pickWeighted(profile.codes, random) : statusCode;
      return { code, delayMs, flaky: true, injected };
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
