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
// The verdicts and the state live in a shared record per target (see state/state.ts): every worker
// thread counts the same failures and sees the same ejection. Active checks run in one thread only
// (`runsChecks`), so that the thresholds count each check once.
//
// A target is available when neither says it is out. When no target is available the group balances
// over all of them anyway (Envoy's panic mode): better a request that might fail than a certain 503.
import type { Logger } from '@sre-stack/runtime';
import type { Clock } from '../clock.ts';
import type { Target } from '../pipeline/types.ts';
import { privateRecord, type RecordRef, type SharedState } from '../state/state.ts';
import { LeanCounter, LeanGauge } from '../telemetry/lean-metrics.ts';

const upGauge = new LeanGauge(
  'proxy_upstream_target_up',
  'Whether a target takes traffic (1) or is ejected or failing its health check (0); one state shared by every worker thread.',
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

// Fields of a target's record.
const FAILURES = 0;
const EJECTIONS = 1;
const EJECTED_UNTIL = 2;
const LAST_EJECTION_END = 3;
const ACTIVE_DOWN = 4;
const ACTIVE_STREAK = 5;

interface TargetState {
  target: Target;
  record: RecordRef;
}

export interface HealthSharing {
  /** Where the targets' records live; a private record per target when absent. */
  shared?: SharedState;
  /** Whether this thread runs the active checks (one thread does). Default true. */
  runsChecks?: boolean;
}

export class GroupHealth {
  private readonly states = new Map<string, TargetState>();
  private readonly settings: HealthSettings;
  private readonly route: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sharing: HealthSharing;
  private timer: unknown;
  private disposed = false;
  private panicLogged = false;

  constructor(
    route: string,
    settings: HealthSettings,
    clock: Clock,
    logger: Logger,
    sharing: HealthSharing = {},
  ) {
    this.route = route;
    this.settings = settings;
    this.clock = clock;
    this.logger = logger;
    this.sharing = sharing;
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
      const key = `health|${this.route}|${target.origin}|${JSON.stringify(this.settings)}`;
      const record = this.sharing.shared?.record(key, this.clock.now()) ?? privateRecord();
      upGauge.child(this.route, target.origin).read = () => (this.isUp(target) ? 1 : 0);
      this.states.set(target.origin, { target, record });
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
    const { table, slot, base } = state.record;
    const data = table.data;
    table.lock(slot);
    let up = true;
    if (data[base + ACTIVE_DOWN] === 1) up = false;
    else if ((data[base + EJECTED_UNTIL] as number) > now) up = false;
    else if (data[base + EJECTED_UNTIL] !== 0) {
      // The ejection just ended: the target is back.
      data[base + LAST_EJECTION_END] = data[base + EJECTED_UNTIL] as number;
      data[base + EJECTED_UNTIL] = 0;
      data[base + FAILURES] = 0;
    }
    table.unlock(slot);
    return up;
  }

  /** An attempt's verdict: true success, false failure (5xx or transport error), null none. */
  report(target: Target, success: boolean | null): void {
    const passive = this.settings.passive;
    if (!passive || success === null) return;
    const state = this.states.get(target.origin);
    if (!state) return;
    const now = this.clock.now();
    const { table, slot, base } = state.record;
    const data = table.data;
    table.lock(slot);
    let period = 0;
    let count = 0;
    if (success) {
      data[base + FAILURES] = 0;
      if (
        (data[base + EJECTIONS] as number) > 0 &&
        data[base + EJECTED_UNTIL] === 0 &&
        now - (data[base + LAST_EJECTION_END] as number) > passive.maxEjectionMs
      ) {
        data[base + EJECTIONS] = 0;
      }
    } else if ((data[base + EJECTED_UNTIL] as number) <= now) {
      data[base + FAILURES] = (data[base + FAILURES] as number) + 1;
      if ((data[base + FAILURES] as number) >= passive.consecutiveFailures) {
        count = (data[base + EJECTIONS] as number) + 1;
        data[base + EJECTIONS] = count;
        period = Math.min(passive.maxEjectionMs, passive.baseEjectionMs * count);
        data[base + EJECTED_UNTIL] = now + period;
        data[base + FAILURES] = 0;
      }
    }
    table.unlock(slot);
    if (period === 0) return;
    ejections.child(this.route, target.origin).inc();
    this.logger.warn(
      { route: this.route, target: target.origin, ejection_ms: period, ejections: count },
      `target ejected for ${period} ms after ${passive.consecutiveFailures} consecutive failures`,
    );
  }

  /** Starts the active checks (if configured). */
  start(): void {
    const active = this.settings.active;
    if (!active || this.timer !== undefined || this.disposed || this.sharing.runsChecks === false) return;
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
    const { table, slot, base } = state.record;
    const data = table.data;
    table.lock(slot);
    const down = data[base + ACTIVE_DOWN] === 1;
    // A streak counts checks in the direction that would change the state.
    const streak = passed === down ? (data[base + ACTIVE_STREAK] as number) + 1 : 0;
    const threshold = down ? active.healthyThreshold : active.unhealthyThreshold;
    const flips = streak >= threshold;
    data[base + ACTIVE_STREAK] = flips ? 0 : streak;
    if (flips) data[base + ACTIVE_DOWN] = down ? 0 : 1;
    table.unlock(slot);
    if (!flips) return;
    this.logger[down ? 'info' : 'warn'](
      { route: this.route, target: state.target.origin, path: active.path },
      down ? 'target passes its health checks again' : 'target failed its health checks: out of rotation',
    );
  }
}
