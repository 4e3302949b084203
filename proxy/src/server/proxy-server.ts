// The serving side of one process: the HTTP listener, the routing table in force, and the pools.
// apply() swaps in a new config; requests already running keep the route objects they started with,
// so a reload never drops one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainHttpServer, type Logger } from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import type { ProxyConfig } from '../config/schema.ts';
import { compileConfig, type RoutingTable } from '../route/compile.ts';
import type { AccessLog } from '../telemetry/access-log.ts';
import { forgetRoute } from '../telemetry/metrics.ts';
import { PoolSet } from '../upstream/pools.ts';
import { createRequestHandler, type ServingState } from './handler.ts';

export interface ProxyServerOptions {
  logger: Logger;
  accessLog: AccessLog;
  workers: number;
  clock?: Clock;
}

export class ProxyServer {
  readonly server: Server;
  private readonly pools = new PoolSet();
  private readonly options: ProxyServerOptions;
  private readonly state: ServingState;
  private config: ProxyConfig | undefined;
  private draining = false;

  constructor(initial: ProxyConfig, options: ProxyServerOptions) {
    this.options = options;
    const table = this.compile(initial);
    this.state = {
      table,
      accessLog: initial.accessLog ? options.accessLog : undefined,
      logger: options.logger,
      draining: () => this.draining,
    };
    this.config = initial;
    this.server = createServer(
      {
        maxHeaderSize: initial.server.maxHeaderSize,
        // Node's strict parser refuses request smuggling (conflicting lengths, bad chunking); keep it.
        insecureHTTPParser: false,
        requireHostHeader: true,
        keepAliveTimeout: initial.server.keepAliveTimeout,
        headersTimeout: initial.server.headersTimeout,
        requestTimeout: initial.server.requestTimeout,
      },
      createRequestHandler(this.state),
    );
    this.applyServerSettings(initial);
  }

  /** Compiles and swaps in a config; throws (keeping the old one) if it cannot be compiled. */
  apply(next: ProxyConfig): void {
    const previous = this.config;
    const table = this.compile(next);
    const old = this.state.table;
    this.state.table = table;
    this.state.accessLog = next.accessLog ? this.options.accessLog : undefined;
    this.config = next;
    this.applyServerSettings(next);
    // Policies the new table did not carry over stop their timers; series of removed routes go.
    const kept = new Set(table.policies.values());
    for (const policy of old.policies.values()) if (!kept.has(policy)) policy.dispose?.();
    const names = new Set(table.routes.map((route) => route.name));
    for (const route of old.routes) if (!names.has(route.name)) forgetRoute(route.name);
    if (
      previous &&
      (previous.listen.port !== next.listen.port || previous.listen.host !== next.listen.host)
    ) {
      this.options.logger.warn('listen address changes take effect on restart');
    }
    if (previous && previous.server.maxHeaderSize !== next.server.maxHeaderSize) {
      this.options.logger.warn('server.maxHeaderSize changes take effect on restart');
    }
  }

  private compile(config: ProxyConfig): RoutingTable {
    this.pools.beginReload();
    const table = compileConfig(config, {
      pools: this.pools,
      clock: this.options.clock ?? systemClock,
      logger: this.options.logger,
      workers: this.options.workers,
      previous: this.state?.table,
    });
    this.pools.endReload();
    return table;
  }

  private applyServerSettings(config: ProxyConfig): void {
    this.server.keepAliveTimeout = config.server.keepAliveTimeout;
    this.server.headersTimeout = config.server.headersTimeout;
    this.server.requestTimeout = config.server.requestTimeout;
  }

  listen(port: number, host: string | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Stops accepting and lets in-flight requests finish; their responses close their connections. */
  async drain(deadline: number): Promise<void> {
    this.draining = true;
    await drainHttpServer(this.server, deadline);
  }

  async close(): Promise<void> {
    this.state.table.dispose();
    await this.pools.close();
  }
}
