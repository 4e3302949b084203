// The load-balancer format, mapped onto the proxy's routes:
//
//   proxy.listen.address, port      → listen.host ("" = every interface), listen.port
//   proxy.services[]                → a route per service, matched on the Host header (port ignored)
//     .domain                         against `domain`; a request for no known domain gets 404
//     .hosts[].address, port          → the upstream group's targets
//     .strategy (ours, optional)      → balancer: random (its spec's, default), round-robin, least-request
//     .healthCheck (ours, optional)   → active health checks
//   (always)                        → circuitBreaker: 5 failures in a row take a target out for 30 s,
//                                     longer each time its trial fails (up to 300 s); when every
//                                     target is out, all are used (panic mode: whenAllOpen forward)
import { z } from 'zod';
import { goDuration } from './fields.ts';
import { nameFromText, uniqueNames } from './names.ts';
import type { NativeInput } from './native-input.ts';

const port = z.int().min(0).max(65535);
const host = z.strictObject({
  address: z.string().min(1).meta({ description: 'IP address or host name of a backend.' }),
  port: port.min(1),
});

export const lbSchema = z
  .strictObject({
    proxy: z.strictObject({
      listen: z
        .strictObject({
          address: z.string().default('').meta({ description: 'Address to bind; "" binds every interface.' }),
          port: port.default(8080),
        })
        .prefault({}),
      services: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            domain: z.string().min(1).meta({ description: 'Matched against the Host header, port ignored.' }),
            hosts: z.array(host).min(1),
            strategy: z.enum(['random', 'round-robin', 'least-request']).default('random'),
            healthCheck: z
              .strictObject({
                path: z.string().startsWith('/').default('/'),
                interval: goDuration.default('5s'),
                timeout: goDuration.default('1s'),
              })
              .optional(),
          }),
        )
        .default([]),
    }),
  })
  .meta({ title: 'Load-balancer configuration (the load-balancer format)' });

export type LbConfig = z.output<typeof lbSchema>;

/** The failure detection every service gets (the format has no setting for it). */
export const LB_FAILURE_DETECTION = {
  consecutiveFailures: 5,
  openFor: '30s',
  maxOpenFor: '300s',
  whenAllOpen: 'forward',
} as const;

/** An origin for an address: IPv6 literals need brackets in a URL. */
function origin(address: string, targetPort: number): string {
  const hostPart = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `http://${hostPart}:${targetPort}`;
}

export function lbToNative(config: LbConfig): NativeInput {
  const { listen, services } = config.proxy;
  const names = uniqueNames(services.map((service, index) => nameFromText(service.name, `service${index}`)));
  return {
    listen: { ...(listen.address ? { host: listen.address } : {}), port: listen.port },
    routes: services.map((service, index) => ({
      name: names[index] as string,
      match: { host: service.domain },
      upstream: {
        targets: service.hosts.map((target) => origin(target.address, target.port)),
        balancer: service.strategy,
        ...(service.healthCheck ? { health: { active: service.healthCheck } } : {}),
      },
      policies: {
        // A load balancer ejects failing backends and, when all are out, still tries them rather
        // than answer 503 itself.
        circuitBreaker: LB_FAILURE_DETECTION,
        // A backend that refuses the connection got nothing: another one may take the request.
        retry: { retries: 1, on: ['connect-failure'] },
      },
    })),
  };
}
