// Where the proxy reaches a container, decided once per container start:
//   port   the `rgate.port` label when set; else the container's lowest exposed TCP port
//   host   a container on the host network: 127.0.0.1
//          a container sharing a network with the proxy (when the proxy runs in a container): its IP there
//          a container publishing that port: the published address (127.0.0.1 for 0.0.0.0 / ::), when the
//            proxy runs on the host
//          otherwise, with the proxy on a Linux host: the container's IP on its bridge network
// A container with no usable address is skipped, with the reason logged.
import type { InspectedContainer } from './types.ts';

export const PORT_LABEL = 'rgate.port';

/** What the proxy knows about itself: the Docker networks it is attached to, if it runs in a container. */
export interface SelfNetworks {
  inContainer: boolean;
  /** Network names (and ids) the proxy's own container is attached to. */
  networks: ReadonlySet<string>;
}

export const ON_HOST: SelfNetworks = { inContainer: false, networks: new Set() };

export type Endpoint = { ok: true; host: string; port: number; via: string } | { ok: false; reason: string };

function tcpPorts(ports: Record<string, unknown> | null | undefined): number[] {
  return Object.keys(ports ?? {})
    .filter((key) => key.endsWith('/tcp') || !key.includes('/'))
    .map((key) => Number.parseInt(key, 10))
    .filter((port) => Number.isInteger(port) && port > 0 && port < 65536)
    .sort((a, b) => a - b);
}

function containerPort(container: InspectedContainer): number | { reason: string } {
  const label = container.Config?.Labels?.[PORT_LABEL];
  if (label !== undefined) {
    const port = Number(label);
    if (!/^\d+$/.test(label) || port < 1 || port > 65535)
      return { reason: `label ${PORT_LABEL}="${label}" is not a port` };
    return port;
  }
  const exposed = tcpPorts(container.Config?.ExposedPorts);
  const published = tcpPorts(container.NetworkSettings?.Ports);
  const port = exposed[0] ?? published[0];
  if (port === undefined) return { reason: `it exposes no TCP port and has no ${PORT_LABEL} label` };
  return port;
}

function loopbackFor(hostIp: string | undefined): string {
  if (!hostIp || hostIp === '0.0.0.0' || hostIp === '::' || hostIp === '') return '127.0.0.1';
  return hostIp;
}

export function endpointOf(container: InspectedContainer, self: SelfNetworks): Endpoint {
  const port = containerPort(container);
  if (typeof port !== 'number') return { ok: false, reason: port.reason };
  const mode = container.HostConfig?.NetworkMode ?? '';
  if (mode === 'host') return { ok: true, host: '127.0.0.1', port, via: 'host network' };
  const networks = Object.entries(container.NetworkSettings?.Networks ?? {}).filter(
    ([, network]) => network?.IPAddress,
  );
  if (self.inContainer) {
    for (const [name, network] of networks) {
      if (self.networks.has(name) || (network?.NetworkID && self.networks.has(network.NetworkID))) {
        return { ok: true, host: network?.IPAddress as string, port, via: `network ${name}` };
      }
    }
  } else {
    const bindings = container.NetworkSettings?.Ports?.[`${port}/tcp`] ?? [];
    const binding = bindings?.find((entry) => entry.HostPort);
    if (binding?.HostPort) {
      return {
        ok: true,
        host: loopbackFor(binding.HostIp),
        port: Number(binding.HostPort),
        via: 'published port',
      };
    }
    const first = networks[0];
    if (first) return { ok: true, host: first[1]?.IPAddress as string, port, via: `network ${first[0]}` };
  }
  return {
    ok: false,
    reason: self.inContainer
      ? 'it shares no network with the proxy (attach both to one network, or use the host network)'
      : 'it has no published port and no network address',
  };
}

/** Whether a container's labels include every `key=value` (or bare `key`) of a backend. */
export function matchesLabels(
  labels: Record<string, string> | null | undefined,
  wanted: readonly string[],
): boolean {
  const actual = labels ?? {};
  return wanted.every((entry) => {
    const equals = entry.indexOf('=');
    if (equals < 0) return entry in actual;
    return actual[entry.slice(0, equals)] === entry.slice(equals + 1);
  });
}

/** Whether a container should take traffic: running, not paused, and healthy if it has a health check. */
export function isServing(container: InspectedContainer): boolean {
  const state = container.State;
  if (!state?.Running || state.Paused || state.Restarting) return false;
  const health = state.Health?.Status;
  return !health || health === 'healthy' || health === 'none';
}
