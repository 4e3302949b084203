// A group whose targets come from discovery (Docker containers by label): each new target list replaces
// the group's, with a connection pool per new target; the pools and metric series of targets that are
// gone are closed and dropped (a pool's close lets its in-flight requests finish).
import { removeSeries } from '@sre-stack/runtime/lean-metrics';
import type { Pool } from 'undici';
import type { Target } from '../pipeline/types.ts';
import { TargetMetrics } from '../telemetry/metrics.ts';
import type { Group } from './group.ts';
import { newPool, type PoolSettings } from './pools.ts';

/** What discovery offers: the targets for a set of labels, now and whenever they change. */
export interface TargetSource {
  watch(labels: readonly string[], listener: (targets: readonly { origin: string }[]) => void): () => void;
}

export function followTargets(
  source: TargetSource,
  labels: readonly string[],
  group: Group,
  route: string,
  settings: PoolSettings,
): () => void {
  const pools = new Map<string, Pool>();
  let targets = new Map<string, Target>();
  const unsubscribe = source.watch(labels, (found) => {
    const next = new Map<string, Target>();
    for (const { origin } of found) {
      const existing = targets.get(origin);
      if (existing) {
        next.set(origin, existing);
        continue;
      }
      const url = new URL(origin);
      let pool = pools.get(origin);
      if (!pool) {
        pool = newPool(origin, settings);
        pools.set(origin, pool);
      }
      next.set(origin, {
        origin,
        hostname: url.hostname,
        port: Number(url.port || 80),
        weight: 1,
        pool,
        metrics: new TargetMetrics(route, origin),
        active: 0,
      });
    }
    for (const origin of targets.keys()) {
      if (next.has(origin)) continue;
      void pools
        .get(origin)
        ?.close()
        .catch(() => {});
      pools.delete(origin);
      removeSeries({ route, target: origin });
    }
    targets = next;
    group.setTargets([...next.values()]);
  });
  return () => {
    unsubscribe();
    for (const pool of pools.values()) void pool.close().catch(() => {});
    pools.clear();
  };
}
