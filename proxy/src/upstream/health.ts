// Target health within an upstream group, so the balancer sends nothing to a target that is failing:
//
// Passive (outlier ejection, as Envoy does it): every attempt's verdict counts for its target; after
// `consecutiveFailures` failures in a row (5xx answers or transport errors) the target is ejected for
// baseEjection × (times ejected), at most maxEjection, so a target that keeps failing stays out longer
// each time. It comes back on its own when the period ends; a success there keeps it in, and a long
// stretch without ejection (maxEjection) forgets its past ejections.
//
// Active (optional): every `interval`, GET `path` on each target; 2xx/3xx passes. `unhealthyThreshold`
// failures in a row mark it down, `healthyThreshold` passes in a row up again.
//
// A target is available when neither says it is out. When no target is available the group balances
// over all of them anyway (Envoy's panic mode): better a request that might fail than a certain 503.
import type { Logger } from '@sre-stack/runtime';
import type { Clock } from '../clock.ts';
import type { Target } from '../pipeline/types.ts';
import { LeanCounter, LeanGauge } from '../telemetry/lean-metrics.ts';

const upGauge = new LeanGauge(
  'proxy_upstream_target_up',
  'Whether a target takes traffic (1) or is ejected or failing its health check (0). Across workers the lowest is reported.',
  ['route', 'target'],
  'min',
);
const ejections = new LeanCounter(
  'proxy_upstream_ejections_total',
  'Targets ejected after consecutive failures (passive health).',
  ['route', 'target'],
);
const checks = new LeanCounter(
  'proxy_upstream_health_checks_total',
  'Active health checks, by result (pass, fail).',
  ['route', 'target', 'result'],
);

export interface PassiveHealthSettings {
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
}

export interface ActiveHealthSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface HealthSettings {
  passive?: PassiveHealthSettings;
  active?: ActiveHealthSettings;
}

interface TargetState {
  target: Target;
  failures: number;
  ejections: number;
  ejectedUntil: number;
  lastEjectionEnd: number;
  activeDown: boolean;
  activeStreak: number;
  up: ReturnType<LeanGauge['child']>;
}

export class GroupHealth {
  private readonly states = new Map<string, TargetState>();
  private readonly settings: HealthSettings;
  private readonly route: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private timer: unknown;
  private disposed = false;
  private panicLogged = false;

  constructor(route: string, settings: HealthSettings, clock: Clock, logger: Logger) {
    this.route = route;
    this.settings = settings;
    this.clock = clock;
    this.logger = logger;
  }

  get enabled(): boolean {
    return this.settings.passive !== undefined || this.settings.active !== undefined;
  }

  /** Follows these targets (the group's current list); others are forgotten. */
  track(targets: readonly Target[]): void {
    const keep = new Set(targets.map((target) => target.origin));
    for (const origin of this.states.keys()) if (!keep.has(origin)) this.states.delete(origin);
    for (const target of targets) {
      const existing = this.states.get(target.origin);
      if (existing) {
        existing.target = target;
        continue;
      }
      const up = upGauge.child(this.route, target.origin);
      up.set(1);
      this.states.set(target.origin, {
        target,
        failures: 0,
        ejections: 0,
        ejectedUntil: 0,
        lastEjectionEnd: 0,
        activeDown: false,
        activeStreak: 0,
        up,
      });
    }
  }

  /** The targets that may take an attempt now; all of them when none may (panic mode). */
  available(targets: readonly Target[]): readonly Target[] {
    if (!this.enabled) return targets;
    const now = this.clock.now();
    let allUp = true;
    for (const target of targets) {
      if (!this.isUp(target, now)) {
        allUp = false;
        break;
      }
    }
    if (allUp) return targets;
    const up = targets.filter((target) => this.isUp(target, now));
    if (up.length > 0) {
      this.panicLogged = false;
      return up;
    }
    if (!this.panicLogged) {
      this.panicLogged = true;
      this.logger.warn(
        { route: this.route },
        'every target is ejected or unhealthy: balancing over all of them',
      );
    }
    return targets;
  }

  isUp(target: Target, now = this.clock.now()): boolean {
    const state = this.states.get(target.origin);
    if (!state) return true;
    if (state.activeDown) return false;
    if (state.ejectedUntil > now) return false;
    if (state.ejectedUntil !== 0) {
      // The ejection just ended: the target is back.
      state.lastEjectionEnd = state.ejectedUntil;
      state.ejectedUntil = 0;
      state.failures = 0;
      state.up.set(1);
    }
    return true;
  }

  /** An attempt's verdict: true success, false failure (5xx or transport error), null none. */
  report(target: Target, success: boolean | null): void {
    const passive = this.settings.passive;
    if (!passive || success === null) return;
    const state = this.states.get(target.origin);
    if (!state) return;
    const now = this.clock.now();
    if (success) {
      state.failures = 0;
      if (
        state.ejections > 0 &&
        state.ejectedUntil === 0 &&
        now - state.lastEjectionEnd > passive.maxEjectionMs
      ) {
        state.ejections = 0;
      }
      return;
    }
    if (state.ejectedUntil > now) return;
    if (++state.failures < passive.consecutiveFailures) return;
    state.ejections++;
    const period = Math.min(passive.maxEjectionMs, passive.baseEjectionMs * state.ejections);
    state.ejectedUntil = now + period;
    state.failures = 0;
    state.up.set(0);
    ejections.child(this.route, target.origin).inc();
    this.logger.warn(
      { route: this.route, target: target.origin, ejection_ms: period, ejections: state.ejections },
      `target ejected for ${period} ms after ${passive.consecutiveFailures} consecutive failures`,
    );
  }

  /** Starts the active checks (if configured). */
  start(): void {
    const active = this.settings.active;
    if (!active || this.timer !== undefined || this.disposed) return;
    const tick = () => {
      if (this.disposed) return;
      void this.checkAll(active).finally(() => {
        if (!this.disposed) this.timer = this.clock.setTimeout(tick, active.intervalMs);
      });
    };
    this.timer = this.clock.setTimeout(tick, 0);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  private async checkAll(active: ActiveHealthSettings): Promise<void> {
    await Promise.all([...this.states.values()].map((state) => this.check(state, active)));
  }

  private async check(state: TargetState, active: ActiveHealthSettings): Promise<void> {
    let passed = false;
    try {
      const { statusCode, body } = await state.target.pool.request({
        path: active.path,
        method: 'GET',
        headers: { 'user-agent': 'sre-stack-proxy-health-check' },
        headersTimeout: active.timeoutMs,
        bodyTimeout: active.timeoutMs,
        signal: AbortSignal.timeout(active.timeoutMs),
      });
      await body.dump();
      passed = statusCode >= 200 && statusCode < 400;
    } catch {
      passed = false;
    }
    if (this.disposed) return;
    checks.child(this.route, state.target.origin, passed ? 'pass' : 'fail').inc();
    // A streak counts checks in the direction that would change the state.
    state.activeStreak = passed === state.activeDown ? state.activeStreak + 1 : 0;
    const threshold = state.activeDown ? active.healthyThreshold : active.unhealthyThreshold;
    if (state.activeStreak < threshold) return;
    state.activeStreak = 0;
    state.activeDown = !state.activeDown;
    const now = this.clock.now();
    state.up.set(state.activeDown || state.ejectedUntil > now ? 0 : 1);
    this.logger[state.activeDown ? 'warn' : 'info'](
      { route: this.route, target: state.target.origin, path: active.path },
      state.activeDown
        ? 'target failed its health checks: out of rotation'
        : 'target passes its health checks again',
    );
  }
}
