// undici connection pools, one per origin and pool settings, shared by every route that sends there and
// kept across reloads, so that a reload neither drops in-flight requests nor reconnects.
import { Pool } from 'undici';

export interface PoolSettings {
  connections: number;
  pipelining: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
}

/** A pool of its own: discovered targets come and go, and their group closes their pools itself. */
export function newPool(origin: string, settings: PoolSettings): Pool {
  return new Pool(origin, {
    connections: settings.connections,
    pipelining: settings.pipelining,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    // The proxy's own timers bound each try; undici's 300 s header timeout would only hide them.
    headersTimeout: 0,
  });
}

export class PoolSet {
  private pools = new Map<string, Pool>();
  private used = new Set<string>();

  /** The pool for an origin; call between beginReload() and endReload() to keep it alive. */
  get(origin: string, settings: PoolSettings): Pool {
    const key = `${origin} ${settings.connections}/${settings.pipelining}/${settings.keepAliveTimeoutMs}/${settings.connectTimeoutMs}`;
    this.used.add(key);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = newPool(origin, settings);
      this.pools.set(key, pool);
    }
    return pool;
  }

  beginReload(): void {
    this.used = new Set();
  }

  /** Closes the pools no route uses any more; close() lets their in-flight requests finish first. */
  endReload(): void {
    for (const [key, pool] of this.pools) {
      if (this.used.has(key)) continue;
      this.pools.delete(key);
      void pool.close().catch(() => {});
    }
  }

  /** Keeps the previous set when a reload failed halfway. */
  abortReload(previous: Set<string>): void {
    this.used = previous;
  }

  snapshotUsed(): Set<string> {
    return new Set(this.used);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close().catch(() => {})));
    this.pools.clear();
  }
}
