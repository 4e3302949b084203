// An upstream group: its targets, the strategy that spreads attempts over them, and their health checks.
// The targets are fixed by the config, or replaced at run time by discovery (setTargets).
import type { Logger } from '@sre-stack/runtime';
import type { Clock } from '../clock.ts';
import type { Exchange } from '../pipeline/exchange.ts';
import type { Target, TargetGate, UpstreamGroup } from '../pipeline/types.ts';
import { STRATEGIES, type Strategy } from './balancer.ts';
import { GroupHealth, type HealthSettings, type HealthSharing } from './health.ts';

export interface GroupOptions {
  name: string;
  /** The route whose metrics the group's health reports under. */
  route: string;
  targets: Target[];
  strategy: string;
  idleTimeoutMs: number;
  unreachableStatus?: 502 | 503;
  health?: HealthSettings;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  /** Where target health is kept, and whether this thread runs the active checks. */
  sharing?: HealthSharing;
}

export class Group implements UpstreamGroup {
  readonly name: string;
  readonly idleTimeoutMs: number;
  readonly unreachableStatus: 502 | 503;
  readonly health: GroupHealth;
  private current: Target[];
  private readonly strategy: Strategy;
  private gates: readonly TargetGate[] = [];

  constructor(options: GroupOptions) {
    const factory = STRATEGIES[options.strategy];
    if (!factory) throw new Error(`unknown balancer "${options.strategy}"`);
    this.name = options.name;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.unreachableStatus = options.unreachableStatus ?? 502;
    this.strategy = factory(options.random ?? Math.random);
    this.current = options.targets;
    this.health = new GroupHealth(
      options.route,
      options.health ?? {},
      options.clock,
      options.logger,
      options.sharing,
    );
    this.health.track(this.current);
    this.health.start();
  }

  get targets(): readonly Target[] {
    return this.current;
  }

  /** Replaces the targets (discovery); attempts in flight keep the target they started with. */
  setTargets(targets: Target[]): void {
    this.current = targets;
    this.health.track(targets);
    for (const gate of this.gates) gate.track?.(targets);
  }

  available(): readonly Target[] {
    return this.health.available(this.current);
  }

  pick(_exchange: Exchange, avoid: Target | undefined): Target {
    const list = this.health.available(this.current);
    let index = this.strategy(list);
    // A retry goes elsewhere when it can (Envoy's previous-hosts predicate).
    if (list[index] === avoid && list.length > 1) index = (index + 1) % list.length;
    return list[index] as Target;
  }

  /**
   * The route's gates: told the targets as they change, and asked for target_up (a target whose circuit
   * is open takes no traffic).
   */
  watchGates(gates: readonly TargetGate[]): void {
    this.gates = gates;
    for (const gate of gates) gate.track?.(this.current);
    if (gates.some((gate) => gate.isOpen))
      this.health.watchCircuits((target) => gates.some((gate) => gate.isOpen?.(target) === true));
  }

  dispose(): void {
    this.health.dispose();
  }
}
