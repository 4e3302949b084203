// The serving side of one process: the HTTP listener (and the TLS one, when configured), the routing
// table in force, the pools, and Docker discovery when a group uses it. apply() swaps in a new config;
// requests already running keep the route objects they started with, so a reload never drops one.
import type { Server, ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONNECTIONS_CHECKING_INTERVAL_MS,
  drainHttpServer,
  type Logger,
  refuseTunnels,
} from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import type { ProxyConfig } from '../config/schema.ts';
import { DockerClient } from '../discovery/docker/client.ts';
import { DockerDiscovery } from '../discovery/docker/discovery.ts';
import { dockerEndpoint } from '../discovery/docker/docker-host.ts';
import { createServer } from '../http/node-http.ts';
import { compileConfig, type RoutingTable } from '../route/compile.ts';
import { keySlotsFor } from '../state/sizing.ts';
import { SharedState } from '../state/state.ts';
import { RgateStats } from '../stats/rgate-stats.ts';
import type { AccessLog } from '../telemetry/access-log.ts';
import { forgetRoute } from '../telemetry/metrics.ts';
import { readCredentials, type TlsCredentials } from '../tls/credentials.ts';
import { createTlsListener, type TlsListener } from '../tls/listener.ts';
import { redirectRoute } from '../tls/redirect.ts';
import { PoolSet } from '../upstream/pools.ts';
import { createRequestHandler, type ServingState } from './handler.ts';

export interface ProxyServerOptions {
  logger: Logger;
  accessLog: AccessLog;
  workers: number;
  /** The state shared with the other worker threads; a private one when serving alone. */
  shared?: SharedState;
  /** Whether this thread runs active health checks (one worker thread does). Default true. */
  runsHealthChecks?: boolean;
  clock?: Clock;
}

export interface PreparedConfig {
  readonly config: ProxyConfig;
  readonly table: RoutingTable;
  readonly credentials: TlsCredentials | undefined;
  readonly poolsBefore: Set<string>;
}

export class ProxyServer {
  readonly server: Server;
  private tls: TlsListener | undefined;
  private readonly pools = new PoolSet();
  private readonly options: ProxyServerOptions;
  private readonly state: ServingState;
  private readonly handler: ReturnType<typeof createRequestHandler>;
  private config: ProxyConfig | undefined;
  private draining = false;
  private discovery: DockerDiscovery | undefined;
  private discoveryStarted: Promise<void> | undefined;
  /** Kept across reloads: the statistics count everything since the start. */
  private readonly statsCounts = new RgateStats();
  private tlsPort: number | undefined;
  private readonly shared: SharedState;

  constructor(initial: ProxyConfig, options: ProxyServerOptions) {
    this.options = options;
    this.shared = options.shared ?? SharedState.create({ keySlots: keySlotsFor(initial), shared: false });
    this.state = {
      table: undefined as unknown as RoutingTable,
      accessLog: initial.accessLog ? options.accessLog : undefined,
      logger: options.logger,
      draining: () => this.draining,
      clock: options.clock ?? systemClock,
    };
    this.state.table = this.compile(initial);
    this.applyListenerSettings(initial);
    this.config = initial;
    this.handler = createRequestHandler(this.state);
    this.server = createServer(this.serverOptions(initial), this.handler);
    refuseTunnels(this.server);
    this.applyServerSettings(this.server, initial);
  }

  private serverOptions(config: ProxyConfig): ServerOptions {
    return {
      maxHeaderSize: config.server.maxHeaderSize,
      // Node's strict parser refuses request smuggling (conflicting lengths, bad chunking); keep it.
      insecureHTTPParser: false,
      requireHostHeader: true,
      // A request without Content-Length or Transfer-Encoding has no body: Node then skips its stream
      // events ('data', 'end', 'close'), which the proxy never listens to for such a request.
      optimizeEmptyRequests: true,
      keepAliveTimeout: config.server.keepAliveTimeout,
      headersTimeout: config.server.headersTimeout,
      requestTimeout: config.server.requestTimeout,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    };
  }

  /** Resolves once discovered groups have had their first list (at once when there are none). */
  ready(): Promise<void> {
    return this.discoveryStarted ?? Promise.resolve();
  }

  /** Compiles and swaps in a config; throws (keeping the old one) if it cannot be compiled. */
  async apply(next: ProxyConfig): Promise<void> {
    this.commit(await this.prepare(next));
  }

  /**
   * The first half of a reload: everything that can fail (certificates, compiling the table), with
   * nothing in force changed. Then commit() swaps it in, or abort() drops it.
   */
  async prepare(next: ProxyConfig): Promise<PreparedConfig> {
    // Certificates first: a missing or broken file refuses the reload before anything changed.
    let credentials: TlsCredentials | undefined;
    if (this.tls && next.tls) credentials = await readCredentials(next.tls.cert, next.tls.key);
    const poolsBefore = this.pools.snapshotUsed();
    const table = this.compile(next, false);
    return { config: next, table, credentials, poolsBefore };
  }

  /** Drops a prepared config: its health checks stop, pools only it opened close. */
  abort(prepared: PreparedConfig): void {
    const kept = new Set(this.state.table.policies.values());
    for (const policy of prepared.table.policies.values()) if (!kept.has(policy)) policy.dispose?.();
    prepared.table.disposeGroups();
    this.pools.abortReload(prepared.poolsBefore);
    this.pools.endReload();
  }

  /** Swaps in a prepared config; nothing here can fail. */
  commit(prepared: PreparedConfig): void {
    const { config: next, table, credentials } = prepared;
    const previous = this.config;
    this.pools.endReload();
    const old = this.state.table;
    this.state.table = table;
    this.state.accessLog = next.accessLog ? this.options.accessLog : undefined;
    this.config = next;
    this.applyListenerSettings(next);
    this.applyServerSettings(this.server, next);
    if (this.tls) {
      this.applyServerSettings(this.tls.server, next);
      if (credentials) this.tls.update(credentials);
    }
    // Policies the new table did not carry over stop their timers; series of removed routes go.
    const kept = new Set(table.policies.values());
    for (const policy of old.policies.values()) if (!kept.has(policy)) policy.dispose?.();
    old.disposeGroups();
    const names = new Set(table.routes.map((route) => route.name));
    for (const route of old.routes) if (!names.has(route.name)) forgetRoute(route.name);
    if (
      previous &&
      (previous.listen.port !== next.listen.port ||
        previous.listen.host !== next.listen.host ||
        previous.tls?.port !== next.tls?.port ||
        (previous.tls === undefined) !== (next.tls === undefined))
    ) {
      this.options.logger.warn('listener changes (address, port, TLS on or off) take effect on restart');
    }
    if (previous && previous.server.maxHeaderSize !== next.server.maxHeaderSize) {
      this.options.logger.warn('server.maxHeaderSize changes take effect on restart');
    }
  }

  /** Compiles a table; `settle` closes the pools it does not use (at once, not for a prepared reload). */
  private compile(config: ProxyConfig, settle = true): RoutingTable {
    this.pools.beginReload();
    const usesDiscovery =
      Object.values(config.upstreams).some((group) => group.discovery) ||
      config.routes.some((route) => typeof route.upstream === 'object' && route.upstream.discovery);
    if (usesDiscovery && !this.discovery) {
      const client = new DockerClient(dockerEndpoint());
      this.discovery = new DockerDiscovery({ client, logger: this.options.logger });
    }
    const table = compileConfig(config, {
      pools: this.pools,
      clock: this.options.clock ?? systemClock,
      logger: this.options.logger,
      workers: this.options.workers,
      shared: this.shared,
      runsHealthChecks: this.options.runsHealthChecks,
      previous: this.state.table,
      targetSource: this.discovery,
    });
    if (settle) this.pools.endReload();
    if (this.discovery && !this.discoveryStarted) this.discoveryStarted = this.discovery.start();
    return table;
  }

  /** What the listeners do beyond routing: /stats, the HTTPS redirect, HSTS. */
  private applyListenerSettings(config: ProxyConfig): void {
    this.state.stats = config.stats ? { path: config.stats.path, counts: this.statsCounts } : undefined;
    const tls = config.tls;
    this.state.hsts = tls?.hsts !== undefined ? `max-age=${Math.round(tls.hsts / 1000)}` : undefined;
    // Only once the TLS listener is up: until then, plain HTTP serves the routes.
    this.state.redirect =
      tls?.redirectHttp && this.tlsPort !== undefined
        ? redirectRoute(tls.redirectPort ?? this.tlsPort, tls.redirectStatus)
        : undefined;
  }

  private applyServerSettings(server: Server, config: ProxyConfig): void {
    server.keepAliveTimeout = config.server.keepAliveTimeout;
    server.headersTimeout = config.server.headersTimeout;
    server.requestTimeout = config.server.requestTimeout;
  }

  /** `reusePort`: one of several worker threads listening on the same port (the kernel spreads connections). */
  listen(port: number, host: string | undefined, reusePort = false): Promise<number> {
    return listenOn(this.server, port, host, reusePort);
  }

  /** Starts the TLS listener (the config must have `tls`); the plain one then redirects, if so configured. */
  async listenTls(port: number, host: string | undefined, reusePort = false): Promise<number> {
    const config = this.config as ProxyConfig;
    const tls = config.tls;
    if (!tls) throw new Error('no tls section in the config');
    const credentials = await readCredentials(tls.cert, tls.key);
    this.tls = createTlsListener(
      credentials,
      { ...this.serverOptions(config), handshakeTimeout: tls.handshakeTimeout },
      this.handler,
      this.options.logger,
    );
    this.applyServerSettings(this.tls.server, config);
    const bound = await listenOn(this.tls.server, port, host, reusePort);
    this.tlsPort = bound;
    this.applyListenerSettings(config);
    return bound;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Stops accepting and lets in-flight requests finish; their responses close their connections. */
  async drain(deadline: number): Promise<void> {
    this.draining = true;
    await Promise.all([
      drainHttpServer(this.server, deadline),
      this.tls ? drainHttpServer(this.tls.server, deadline) : undefined,
    ]);
  }

  async close(): Promise<void> {
    this.state.table.dispose();
    this.state.table.disposeGroups();
    await this.discovery?.close();
    await this.pools.close();
  }
}

function listenOn(
  server: Server,
  port: number,
  host: string | undefined,
  reusePort: boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, reusePort }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
