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
import type { SharedState } from '../state/state.ts';
import { RouteMetrics, TargetMetrics } from '../telemetry/metrics.ts';
import { followTargets, type TargetSource } from '../upstream/discovered.ts';
import { forward } from '../upstream/forward.ts';
import { Group } from '../upstream/group.ts';
import type { HealthSettings } from '../upstream/health.ts';
import type { PoolSet, PoolSettings } from '../upstream/pools.ts';
import { type CompiledMatch, compileMatch, type Matcher } from './matcher.ts';

export interface CompileDependencies {
  pools: PoolSet;
  clock: Clock;
  logger: Logger;
  workers: number;
  /** The state shared by every worker thread (policies keep their counts there). */
  shared: SharedState;
  /** Whether this thread runs active health checks (one worker thread does). Default true. */
  runsHealthChecks?: boolean;
  random?: () => number;
  /** The table in force, whose policies may be carried over. */
  previous?: RoutingTable;
  /** Where discovered groups get their targets (Docker); required when a group uses discovery. */
  targetSource?: TargetSource;
}

let orderedPolicies: PolicyDefinition[] | undefined;

/** Every policy's code in pipeline order, loaded when the first route is built (see policies/index.ts). */
function policiesInOrder(): PolicyDefinition[] {
  if (orderedPolicies === undefined)
    orderedPolicies = POLICIES.map((entry) => entry.definition()).sort((a, b) => a.order - b.order);
  return orderedPolicies;
}

export class RoutingTable {
  readonly routes: readonly CompiledRoute[];
  private readonly tests: readonly Matcher[];
  private readonly matches: readonly CompiledMatch[];
  /** Policy instances by identity key, for the next reload to reuse. */
  readonly policies: ReadonlyMap<string, Policy>;
  /** Upstream groups and what to stop with them (health checks, discovery subscriptions). */
  private readonly groups: readonly { group: Group; stop?: () => void }[];

  constructor(
    routes: CompiledRoute[],
    matches: CompiledMatch[],
    policies: Map<string, Policy>,
    groups: { group: Group; stop?: () => void }[] = [],
  ) {
    this.routes = routes;
    this.matches = matches;
    this.tests = matches.map((match) => match.test);
    this.policies = policies;
    this.groups = groups;
  }

  /**
   * The methods routes would take for this path and host, when no route took the request's own: the
   * answer is then 405 with Allow, not 404. Empty when no route matches the path and host at all.
   */
  allowedMethods(path: string, req: Parameters<Matcher>[2]): string[] {
    const allowed = new Set<string>();
    for (const match of this.matches) {
      if (!match.testIgnoringMethod('', path, req)) continue;
      for (const method of match.methods ?? []) allowed.add(method);
    }
    return [...allowed];
  }

  /** Stops the groups' health checks and discovery; called when a reload replaced this table. */
  disposeGroups(): void {
    for (const { group, stop } of this.groups) {
      group.dispose();
      stop?.();
    }
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
  const matches: CompiledMatch[] = [];
  const policies = new Map<string, Policy>();
  const groups: { group: Group; stop?: () => void }[] = [];
  try {
    config.routes.forEach((route, index) => {
      const match = compileMatch(route.match);
      matches.push(match);
      routes.push(compileRoute(config, route, index, match.template, deps, policies, groups));
    });
  } catch (error) {
    for (const { group, stop } of groups) {
      group.dispose();
      stop?.();
    }
    throw error;
  }
  return new RoutingTable(routes, matches, policies, groups);
}

function healthSettings(health: UpstreamConfig['health']): HealthSettings {
  const active = health?.active;
  return {
    active: active && {
      path: active.path,
      intervalMs: active.interval,
      timeoutMs: active.timeout,
      healthyThreshold: active.healthyThreshold,
      unhealthyThreshold: active.unhealthyThreshold,
    },
  };
}

function compileRoute(
  config: ProxyConfig,
  route: RouteConfig,
  index: number,
  template: string,
  deps: CompileDependencies,
  policies: Map<string, Policy>,
  groups: { group: Group; stop?: () => void }[],
): CompiledRoute {
  const name = routeName(route, index);
  const metrics = new RouteMetrics(name);
  let targets: Target[] = [];
  let last: Next;
  let staticResponse: StaticResponse | undefined;
  let upstream: Group | undefined;
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
    const poolSettings: PoolSettings = {
      connections: group.pool.connections,
      pipelining: group.pool.pipelining,
      keepAliveTimeoutMs: group.pool.keepAlive,
      connectTimeoutMs: group.pool.connectTimeout,
    };
    targets = group.targets.map((target) => {
      const url = new URL(target.url);
      return {
        origin: url.origin,
        hostname: url.hostname,
        port: Number(url.port || 80),
        weight: target.weight,
        pool: deps.pools.get(url.origin, poolSettings),
        metrics: new TargetMetrics(name, url.origin),
        active: 0,
      };
    });
    const compiled = new Group({
      name: groupName,
      route: name,
      targets,
      strategy: group.balancer,
      idleTimeoutMs: group.pool.idleTimeout,
      unreachableStatus: group.unreachableStatus,
      health: healthSettings(group.health),
      clock: deps.clock,
      logger: deps.logger,
      random: deps.random,
      sharing: { shared: deps.shared, runsChecks: deps.runsHealthChecks ?? true },
    });
    let stop: (() => void) | undefined;
    if (group.discovery) {
      if (!deps.targetSource) throw new Error(`route ${name}: discovery is not available in this process`);
      stop = followTargets(deps.targetSource, group.discovery.docker.labels, compiled, name, poolSettings);
    }
    groups.push({ group: compiled, stop });
    upstream = compiled;
    last = forward;
  }

  const routePolicies: Policy[] = [];
  const sections = route.policies as Record<string, unknown>;
  for (const definition of policiesInOrder()) {
    const section = sections[definition.key];
    if (section === undefined) continue;
    routePolicies.push(policyFor(definition, section, name, upstream !== undefined, targets, deps, policies));
  }
  const gates = routePolicies.flatMap((policy) => (policy.gate ? [policy.gate] : []));
  upstream?.watchGates(gates);
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
  upstream: boolean,
  targets: Target[],
  deps: CompileDependencies,
  policies: Map<string, Policy>,
): Policy {
  const key = JSON.stringify([
    route,
    upstream,
    definition.key,
    section,
    targets.map((target) => target.origin),
  ]);
  const policy =
    deps.previous?.policies.get(key) ??
    definition.create(section, {
      route,
      targets,
      upstream,
      clock: deps.clock,
      logger: deps.logger,
      workers: deps.workers,
      shared: deps.shared,
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
    forwardedFor: rewrite.forwardedHeaders.includes('for'),
    forwardedProto: rewrite.forwardedHeaders.includes('proto'),
    forwardedHost: rewrite.forwardedHeaders.includes('host'),
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
