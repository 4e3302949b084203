// Target health within an upstream group, from active health checks: every `interval`, GET `path` on
// each target; 2xx/3xx passes. `unhealthyThreshold` failures in a row mark it down, `healthyThreshold`
// passes in a row up again. A probe is a signal of its own; the verdicts of the attempts the proxy makes
// anyway are judged once, by the circuit breaker (policies/circuit-breaker/), which the balancer asks as
// well (a TargetGate).
//
// The state lives in a shared record per target (see state/state.ts): every worker thread sees the same
// up or down. Checks run in one thread only (`runsChecks`), so that the thresholds count each check once.
//
// A target is available when its checks pass. When no target is available the group balances over all
// of them anyway (Envoy's panic mode): better a request that might fail than a certain 503.
import type { Logger } from '@sre-stack/runtime';
import { LeanCounter, LeanGauge } from '@sre-stack/runtime/lean-metrics';
import type { Clock } from '../clock.ts';
import type { Target } from '../pipeline/types.ts';
import { privateRecord, type RecordRef, type SharedState } from '../state/state.ts';

const upGauge = new LeanGauge(
  'proxy_upstream_target_up',
  'Whether a target takes traffic (1) or its circuit is open or it fails its health checks (0); one state shared by every worker thread.',
  ['route', 'target'],
  'min',
);
const checks = new LeanCounter(
  'proxy_upstream_health_checks_total',
  'Active health checks, by result (pass, fail).',
  ['route', 'target', 'result'],
);

export interface ActiveHealthSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface HealthSettings {
  active?: ActiveHealthSettings;
}

// Fields of a target's record.
const ACTIVE_DOWN = 0;
const ACTIVE_STREAK = 1;

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
  /** Whether a target's circuit is open (the route's breaker), for the target_up gauge. */
  private circuitOpen: (target: Target) => boolean = () => false;

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
    return this.settings.active !== undefined;
  }

  /** Where target_up learns that a target's circuit is open (the route's gates, known after the group). */
  watchCircuits(isOpen: (target: Target) => boolean): void {
    this.circuitOpen = isOpen;
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
      upGauge.child(this.route, target.origin).read = () =>
        this.isUp(target) && !this.circuitOpen(target) ? 1 : 0;
      this.states.set(target.origin, { target, record });
    }
  }

  /** The targets that may take an attempt now; all of them when none may (panic mode). */
  available(targets: readonly Target[]): readonly Target[] {
    if (!this.enabled) return targets;
    let allUp = true;
    for (const target of targets) {
      if (!this.isUp(target)) {
        allUp = false;
        break;
      }
    }
    if (allUp) return targets;
    const up = targets.filter((target) => this.isUp(target));
    if (up.length > 0) {
      this.panicLogged = false;
      return up;
    }
    if (!this.panicLogged) {
      this.panicLogged = true;
      this.logger.warn(
        { route: this.route },
        'every target fails its health checks: balancing over all of them',
      );
    }
    return targets;
  }

  /** Whether the target passes its health checks (always, without them). */
  isUp(target: Target): boolean {
    const state = this.states.get(target.origin);
    if (!state) return true;
    const { table, slot, base } = state.record;
    table.lock(slot);
    const up = table.data[base + ACTIVE_DOWN] !== 1;
    table.unlock(slot);
    return up;
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
