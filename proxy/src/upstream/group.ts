// An upstream group: its targets and the strategy that spreads attempts over them.
import type { Exchange } from '../pipeline/exchange.ts';
import type { Target, UpstreamGroup } from '../pipeline/types.ts';
import { STRATEGIES } from './balancer.ts';

export function createGroup(
  name: string,
  targets: Target[],
  strategyName: string,
  idleTimeoutMs: number,
  random: () => number = Math.random,
): UpstreamGroup {
  const factory = STRATEGIES[strategyName];
  if (!factory) throw new Error(`unknown balancer "${strategyName}"`);
  const strategy = factory(targets, random);
  return {
    name,
    targets,
    idleTimeoutMs,
    pick(_exchange: Exchange, avoid: Target | undefined): Target {
      let index = strategy(targets);
      // A retry goes elsewhere when it can (Envoy's previous-hosts predicate).
      if (targets[index] === avoid && targets.length > 1) index = (index + 1) % targets.length;
      return targets[index] as Target;
    },
  };
}
