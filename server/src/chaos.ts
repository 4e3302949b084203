// The server's one piece of state: the steady code, whether flaky mode is on, and the chaos profile.
import { sampleLatencyMs } from './latency.ts';
import { type ChaosProfile, DEFAULT_PROFILE } from './profile.ts';
import { pickWeighted, type Random } from './random.ts';

/** Who changed the state: the HTTP API or the config file (a label on the changes counter). */
export type ChangeSource = 'api' | 'config';
export type ChangeKind = 'status_code' | 'flaky' | 'profile';

export interface ChaosSnapshot {
  flaky: boolean;
  statusCode: number;
  profile: ChaosProfile;
}

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
  decide(): StatusDecision;
  onChange(listener: (snapshot: ChaosSnapshot, kind: ChangeKind, source: ChangeSource) => void): void;
}

export interface ChaosOptions {
  random: Random;
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
  let statusCode = options.statusCode ?? 200;
  let flaky = options.flaky ?? false;
  let profile = options.profile ?? DEFAULT_PROFILE;
  const listeners: ((snapshot: ChaosSnapshot, kind: ChangeKind, source: ChangeSource) => void)[] = [];

  const snapshot = (): ChaosSnapshot => ({ flaky, statusCode, profile });
  const changed = (kind: ChangeKind, source: ChangeSource) => {
    const current = snapshot();
    for (const listener of listeners) listener(current, kind, source);
  };

  return {
    get snapshot() {
      return snapshot();
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
      if (next === flaky) return;
      flaky = next;
      changed('flaky', source);
    },
    setProfile(next, source) {
      profile = next;
      changed('profile', source);
    },
    decide() {
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
