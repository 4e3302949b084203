// Turns a validated config into the routing table the server uses: matchers, upstream groups on shared
// pools, and each route's policies composed around the final step. A reload compiles a new table;
// policies whose config and targets did not change are carried over with their state (buckets, breaker
// state), so a reload does not reset protection either.
import type { Logger } from '@sre-stack/runtime';
import type { Clock } from '../clock.ts';
import type { ProxyConfig, RouteConfig, UpstreamConfig } from '../config/schema.ts';
import { local, type Outcome } from '../pipeline/outcome.ts';
import { compose, type Policy, type PolicyDefinition } from '../pipeline/policy.ts';
import type { CompiledRoute, Next, Rewrite, StaticResponse, Target } from '../pipeline/types.ts';
import { POLICIES } from '../policies/index.ts';
import { RouteMetrics, TargetMetrics } from '../telemetry/metrics.ts';
import { forward } from '../upstream/forward.ts';
import { createGroup } from '../upstream/group.ts';
import type { PoolSet } from '../upstream/pools.ts';
import { compileMatch, type Matcher } from './matcher.ts';

export interface CompileDependencies {
  pools: PoolSet;
  clock: Clock;
  logger: Logger;
  workers: number;
  random?: () => number;
  /** The table in force, whose policies may be carried over. */
  previous?: RoutingTable;
}

const ORDERED_POLICIES = [...POLICIES].sort((a, b) => a.order - b.order);

export class RoutingTable {
  readonly routes: readonly CompiledRoute[];
  private readonly tests: readonly Matcher[];
  /** Policy instances by identity key, for the next reload to reuse. */
  readonly policies: ReadonlyMap<string, Policy>;

  constructor(routes: CompiledRoute[], tests: Matcher[], policies: Map<string, Policy>) {
    this.routes = routes;
    this.tests = tests;
    this.policies = policies;
  }

  match(method: string, path: string, req: Parameters<Matcher>[2]): CompiledRoute | undefined {
    const tests = this.tests;
    for (let index = 0; index < tests.length; index++) {
      if ((tests[index] as Matcher)(method, path, req)) return this.routes[index];
    }
    return undefined;
  }

  dispose(): void {
    for (const policy of this.policies.values()) policy.dispose?.();
  }
}

export function routeName(route: RouteConfig, index: number): string {
  return route.name ?? `route${index}`;
}

export function compileConfig(config: ProxyConfig, deps: CompileDependencies): RoutingTable {
  const routes: CompiledRoute[] = [];
  const tests: Matcher[] = [];
  const policies = new Map<string, Policy>();
  config.routes.forEach((route, index) => {
    const { test, template } = compileMatch(route.match);
    tests.push(test);
    routes.push(compileRoute(config, route, index, template, deps, policies));
  });
  return new RoutingTable(routes, tests, policies);
}

function compileRoute(
  config: ProxyConfig,
  route: RouteConfig,
  index: number,
  template: string,
  deps: CompileDependencies,
  policies: Map<string, Policy>,
): CompiledRoute {
  const name = routeName(route, index);
  const metrics = new RouteMetrics(name);
  let targets: Target[] = [];
  let last: Next;
  let staticResponse: StaticResponse | undefined;
  let upstream: CompiledRoute['upstream'];
  if (route.static) {
    const response = route.static;
    staticResponse = {
      status: response.status,
      body: response.body,
      contentType: response.contentType,
      headers: Object.entries(response.headers).flatMap(([header, value]) => [header.toLowerCase(), value]),
    };
    const outcome: Outcome = {
      ...local(response.status, response.body, 'static', staticResponse.headers),
      contentType: response.contentType,
    };
    last = () => Promise.resolve(outcome);
  } else {
    const group = (
      typeof route.upstream === 'string' ? config.upstreams[route.upstream] : route.upstream
    ) as UpstreamConfig;
    const groupName = typeof route.upstream === 'string' ? route.upstream : name;
    targets = group.targets.map((target) => {
      const url = new URL(target.url);
      return {
        origin: url.origin,
        hostname: url.hostname,
        port: Number(url.port || 80),
        weight: target.weight,
        pool: deps.pools.get(url.origin, {
          connections: group.pool.connections,
          pipelining: group.pool.pipelining,
          keepAliveTimeoutMs: group.pool.keepAlive,
          connectTimeoutMs: group.pool.connectTimeout,
        }),
        metrics: new TargetMetrics(name, url.origin),
        active: 0,
      };
    });
    upstream = createGroup(groupName, targets, group.balancer, group.pool.idleTimeout, deps.random);
    last = forward;
  }

  const routePolicies: Policy[] = [];
  const sections = route.policies as Record<string, unknown>;
  for (const definition of ORDERED_POLICIES) {
    const section = sections[definition.key];
    if (section === undefined) continue;
    routePolicies.push(policyFor(definition, section, name, targets, deps, policies));
  }
  const gates = routePolicies.flatMap((policy) => (policy.gate ? [policy.gate] : []));
  return {
    name,
    template,
    staticResponse,
    upstream,
    rewrite: route.rewrite ? compileRewrite(route.rewrite) : undefined,
    gates,
    metrics,
    run: compose(routePolicies, last),
    active: 0,
  };
}

/** The previous table's instance when nothing it depends on changed; a new one otherwise. */
function policyFor(
  definition: PolicyDefinition,
  section: unknown,
  route: string,
  targets: Target[],
  deps: CompileDependencies,
  policies: Map<string, Policy>,
): Policy {
  const key = JSON.stringify([
    route,
    definition.key,
    section,
    targets.map((target) => target.origin),
    deps.workers,
  ]);
  const policy =
    deps.previous?.policies.get(key) ??
    definition.create(section, {
      route,
      targets,
      clock: deps.clock,
      logger: deps.logger,
      workers: deps.workers,
      random: deps.random ?? Math.random,
    });
  policies.set(key, policy);
  return policy;
}

function compileRewrite(rewrite: NonNullable<RouteConfig['rewrite']>): Rewrite {
  const lower = (names: string[]) => names.map((header) => header.toLowerCase());
  const setRequest = Object.entries(rewrite.requestHeaders.set).flatMap(([header, value]) => [
    header.toLowerCase(),
    value,
  ]);
  const setResponse = Object.entries(rewrite.responseHeaders.set).flatMap(([header, value]) => [
    header.toLowerCase(),
    value,
  ]);
  return {
    host: rewrite.host,
    stripPrefix: rewrite.stripPrefix,
    addPrefix: rewrite.addPrefix,
    setRequestHeaders: setRequest,
    // A header that is set replaces the client's or the upstream's.
    removeRequestHeaders: new Set([
      ...lower(rewrite.requestHeaders.remove),
      ...lower(Object.keys(rewrite.requestHeaders.set)),
    ]),
    setResponseHeaders: setResponse,
    removeResponseHeaders: new Set([
      ...lower(rewrite.responseHeaders.remove),
      ...lower(Object.keys(rewrite.responseHeaders.set)),
    ]),
  };
}

/** The path and query sent upstream after stripPrefix and addPrefix. */
export function rewritePath(url: string, rewrite: Rewrite | undefined): string {
  if (!rewrite || (rewrite.stripPrefix === undefined && rewrite.addPrefix === undefined)) return url;
  let result = url;
  const strip = rewrite.stripPrefix;
  if (strip !== undefined && result.startsWith(strip)) {
    result = result.slice(strip.endsWith('/') ? strip.length - 1 : strip.length);
    if (result === '' || result[0] === '?') result = `/${result}`;
    else if (result[0] !== '/') result = `/${result}`;
  }
  const add = rewrite.addPrefix;
  if (add !== undefined) result = add.endsWith('/') ? add + result.slice(1) : add + result;
  return result;
}
