// How big the shared key table is: room for twice the keyed buckets the config's keyed rate limits
// expect (their maxKeys), so that probes stay short. Sized once at start; a reload that adds keyed
// limits shares the table (an idle bucket is reused, an overflow counted).
import type { ProxyConfig } from '../config/schema.ts';
import { keySlotsFor as slotsFor } from './state.ts';

export function keySlotsFor(config: ProxyConfig): number {
  let keys = 0;
  for (const route of config.routes) {
    const limit = (route.policies as Record<string, unknown>).rateLimit as
      | { key?: string; maxKeys?: number }
      | undefined;
    if (limit && limit.key !== undefined && limit.key !== 'route') keys += limit.maxKeys ?? 10_000;
  }
  return slotsFor(keys);
}
