// The addresses a config sends traffic to: every static target of every upstream group, with the
// service (group or route) it belongs to. Targets found by discovery are not known ahead and are left out.
import type { ProxyConfig, UpstreamConfig } from '../config/schema.ts';

export interface BackendAddress {
  service: string;
  host: string;
  port: number;
}

export function backendAddresses(config: ProxyConfig): BackendAddress[] {
  const seen = new Set<string>();
  const out: BackendAddress[] = [];
  const add = (service: string, group: UpstreamConfig) => {
    for (const target of group.targets) {
      const url = new URL(target.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = Number(url.port || 80);
      const key = `${host} ${port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ service, host, port });
    }
  };
  for (const [name, group] of Object.entries(config.upstreams)) add(name, group);
  config.routes.forEach((route, index) => {
    if (route.upstream !== undefined && typeof route.upstream !== 'string') {
      add(route.name ?? `route${index}`, route.upstream);
    }
  });
  return out;
}
