// Some configs run the proxy as one process whatever --workers says: rgate's /stats counts everything
// the proxy receives (one count, not one per worker), and Docker discovery is better done once.
import { loadConfigFile } from '@sre-stack/runtime';
import { anyConfigSchema } from '../adapters/index.ts';
import type { ProxyConfig } from './schema.ts';

export function oneProcessNeed(config: ProxyConfig): string | undefined {
  if (config.stats) return 'the config serves /stats, which counts everything the proxy receives';
  const groups = [
    ...Object.values(config.upstreams),
    ...config.routes.flatMap((route) => (typeof route.upstream === 'object' ? [route.upstream] : [])),
  ];
  if (groups.some((group) => group.discovery)) return 'the config discovers Docker containers';
  return undefined;
}

/** Why this config file runs in one process, or undefined (also when it cannot be read: startup says why). */
export async function oneProcessReason(file: string): Promise<string | undefined> {
  try {
    return oneProcessNeed(await loadConfigFile(file, anyConfigSchema));
  } catch {
    return undefined;
  }
}
