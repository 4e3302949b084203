// Docker discovery: the containers behind each backend (a set of labels), kept current. It lists the
// matching containers, then follows the engine's event stream; any container event (start, die, stop,
// health change, ...) re-lists the backends the container's labels concern, at once and once more a
// second later (an engine may report a state change before its list shows it). When the stream ends or
// fails it reconnects with exponential backoff and re-lists, since events may have been missed; a slow
// periodic re-list covers anything else. The Traefik Docker provider works the same way.
import { hostname } from 'node:os';
import type { Logger } from '@sre-stack/runtime';
import { DockerApiError, type DockerClient } from './client.ts';
import {
  type Endpoint,
  endpointOf,
  isServing,
  matchesLabels,
  ON_HOST,
  type SelfNetworks,
} from './endpoint.ts';
import { discoveryMetrics } from './metrics.ts';
import type { DockerEvent, InspectedContainer } from './types.ts';

export interface DiscoveredTarget {
  /** http://host:port */
  origin: string;
  containerId: string;
  containerName: string;
}

export type TargetListener = (targets: readonly DiscoveredTarget[]) => void;

export interface DockerDiscoveryOptions {
  client: DockerClient;
  logger: Logger;
  /** Periodic re-list, in case an event was missed. Default 30 s. */
  resyncMs?: number;
  /** Reconnect backoff: doubles from base to max, with jitter. Defaults 250 ms and 10 s. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Delay before an event's re-list, so that a burst of events costs one. Default 50 ms. */
  debounceMs?: number;
  random?: () => number;
}

const RELEVANT =
  /^(start|restart|die|stop|kill|pause|unpause|destroy|remove|oom|update|rename|health_status)/;

interface Backend {
  key: string;
  labels: string[];
  listeners: Set<TargetListener>;
  targets: DiscoveredTarget[];
  listed: boolean;
  /** The last list failed: further failures are not logged again until one succeeds. */
  failing: boolean;
}

export class DockerDiscovery {
  private readonly options: Required<Omit<DockerDiscoveryOptions, 'client' | 'logger'>> &
    Pick<DockerDiscoveryOptions, 'client' | 'logger'>;
  private readonly backends = new Map<string, Backend>();
  /** Inspections by container id and start time: a restarted container is looked at again. */
  private readonly inspected = new Map<string, InspectedContainer>();
  /** Containers already reported as unusable, so the reason is logged once. */
  private readonly skipped = new Set<string>();
  private self: SelfNetworks | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  private failures = 0;
  private timers = new Set<NodeJS.Timeout>();
  private pendingRefresh: Set<string> | 'all' | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private started = false;

  constructor(options: DockerDiscoveryOptions) {
    this.options = {
      resyncMs: 30_000,
      backoffBaseMs: 250,
      backoffMaxMs: 10_000,
      debounceMs: 50,
      random: Math.random,
      ...options,
    };
  }

  /** Follows the containers carrying all `labels`; the listener gets every new target list. */
  watch(labels: readonly string[], listener: TargetListener): () => void {
    const key = [...labels].sort().join('\n');
    let backend = this.backends.get(key);
    if (!backend) {
      backend = {
        key,
        labels: [...labels],
        listeners: new Set(),
        targets: [],
        listed: false,
        failing: false,
      };
      this.backends.set(key, backend);
      if (this.started) this.schedule(new Set([key]), 0);
    }
    backend.listeners.add(listener);
    if (backend.listed) listener(backend.targets);
    const entry = backend;
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) this.backends.delete(entry.key);
    };
  }

  /** The current targets for these labels (empty until the first list). */
  targets(labels: readonly string[]): readonly DiscoveredTarget[] {
    return this.backends.get([...labels].sort().join('\n'))?.targets ?? [];
  }

  /** Lists once (resolving when done, even if the engine is unreachable), then follows events. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.refresh('all');
    void this.follow();
    const resync = setInterval(() => this.schedule('all', 0), this.options.resyncMs);
    resync.unref();
    this.timers.add(resync as unknown as NodeJS.Timeout);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.refreshing.catch(() => {});
    await this.options.client.close().catch(() => {});
  }

  // --- events ---

  private async follow(): Promise<void> {
    const { logger, client } = this.options;
    while (!this.closed) {
      const connectedAt = performance.now();
      try {
        const connected = () => discoveryMetrics.connected.set(1);
        for await (const event of client.events(this.abort.signal, connected)) {
          this.failures = 0;
          discoveryMetrics.events.inc();
          this.onEvent(event);
        }
        if (this.closed) return;
        logger.warn({ docker_host: client.endpoint.description }, 'docker event stream ended; reconnecting');
      } catch (error) {
        if (this.closed) return;
        discoveryMetrics.errors.inc({ operation: 'events' });
        // The first failure in a row, then every tenth: an engine that is away for long stays quiet.
        if (this.failures % 10 === 0) {
          logger.warn(
            {
              err: (error as Error).message,
              docker_host: client.endpoint.description,
              failures: this.failures + 1,
            },
            'docker event stream failed; reconnecting with backoff',
          );
        }
      }
      discoveryMetrics.connected.set(0);
      // A stream that stayed up a while was healthy: start the backoff over.
      if (performance.now() - connectedAt > 10_000) this.failures = 0;
      const wait = this.backoff(this.failures++);
      discoveryMetrics.reconnects.inc();
      await this.sleep(wait);
      if (this.closed) return;
      // Events may have been missed while disconnected.
      await this.refresh('all');
    }
  }

  private onEvent(event: DockerEvent): void {
    const action = event.Action ?? event.status ?? '';
    if ((event.Type ?? 'container') !== 'container' || !RELEVANT.test(action)) return;
    const id = event.Actor?.ID ?? event.id;
    if (id && /^(start|restart|die|stop|kill|destroy|remove)/.test(action)) {
      this.inspected.delete(id);
      this.skipped.delete(id);
    }
    const attributes = event.Actor?.Attributes;
    const keys = new Set<string>();
    for (const backend of this.backends.values()) {
      // Events carry the container's labels as attributes; without them, every backend may be concerned.
      if (!attributes || matchesLabels(attributes, backend.labels)) keys.add(backend.key);
    }
    if (keys.size === 0) return;
    this.schedule(keys, this.options.debounceMs);
    this.schedule(keys, 1000);
  }

  // --- listing ---

  private schedule(keys: Set<string> | 'all', delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.refresh(keys);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Re-lists backends, one refresh at a time; refreshes asked for meanwhile are merged into the next. */
  private refresh(keys: Set<string> | 'all'): Promise<void> {
    if (this.pendingRefresh === 'all' || keys === 'all') this.pendingRefresh = 'all';
    else this.pendingRefresh = new Set([...(this.pendingRefresh ?? []), ...keys]);
    this.refreshing = this.refreshing.then(async () => {
      const pending = this.pendingRefresh;
      this.pendingRefresh = undefined;
      if (pending === undefined || this.closed) return;
      const backends =
        pending === 'all'
          ? [...this.backends.values()]
          : [...pending].flatMap((key) => this.backends.get(key) ?? []);
      for (const backend of backends) await this.list(backend);
    });
    return this.refreshing;
  }

  private async list(backend: Backend): Promise<void> {
    const { client, logger } = this.options;
    try {
      this.self ??= await this.findSelf();
      const listed = await client.listContainers(backend.labels);
      const targets: DiscoveredTarget[] = [];
      for (const summary of listed) {
        // The engine filtered by label already; checking again costs nothing and guards odd engines.
        if (summary.Labels && !matchesLabels(summary.Labels, backend.labels)) continue;
        const container = await this.inspect(summary.Id);
        if (!container || !isServing(container)) continue;
        const endpoint: Endpoint = endpointOf(container, this.self);
        const name = (container.Name ?? summary.Names?.[0] ?? summary.Id).replace(/^\//, '');
        if (!endpoint.ok) {
          if (!this.skipped.has(summary.Id)) {
            this.skipped.add(summary.Id);
            logger.warn({ container: name, labels: backend.labels }, `container skipped: ${endpoint.reason}`);
          }
          continue;
        }
        const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
        targets.push({
          origin: `http://${host}:${endpoint.port}`,
          containerId: summary.Id,
          containerName: name,
        });
      }
      targets.sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
      const changed =
        !backend.listed ||
        targets.length !== backend.targets.length ||
        targets.some((target, index) => target.origin !== backend.targets[index]?.origin);
      backend.listed = true;
      if (backend.failing) logger.info({ labels: backend.labels }, 'docker containers listed again');
      backend.failing = false;
      if (!changed) return;
      backend.targets = targets;
      logger.info(
        {
          labels: backend.labels,
          targets: targets.map((target) => `${target.containerName} ${target.origin}`),
        },
        `docker backend now has ${targets.length} container${targets.length === 1 ? '' : 's'}`,
      );
      for (const listener of backend.listeners) listener(targets);
    } catch (error) {
      discoveryMetrics.errors.inc({ operation: 'list' });
      if (!backend.failing) {
        logger.warn(
          { err: (error as Error).message, labels: backend.labels, docker_host: client.endpoint.description },
          'cannot list docker containers; keeping the last known targets',
        );
      }
      backend.failing = true;
    }
  }

  private async inspect(id: string): Promise<InspectedContainer | undefined> {
    const cached = this.inspected.get(id);
    if (cached) return cached;
    try {
      const container = await this.options.client.inspectContainer(id);
      // Only a settled, running container is cached: its address will not change until it stops.
      if (container.State?.Running && !container.State.Health?.Status) this.inspected.set(id, container);
      return container;
    } catch (error) {
      // Gone between the list and the inspect.
      if (error instanceof DockerApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The proxy's own container (its hostname is the container id), if it runs in one. */
  private async findSelf(): Promise<SelfNetworks> {
    try {
      const own = await this.options.client.inspectContainer(hostname());
      if (own.HostConfig?.NetworkMode === 'host') return ON_HOST;
      const networks = new Set<string>();
      for (const [name, network] of Object.entries(own.NetworkSettings?.Networks ?? {})) {
        networks.add(name);
        if (network?.NetworkID) networks.add(network.NetworkID);
      }
      return { inContainer: true, networks };
    } catch (error) {
      if (error instanceof DockerApiError && error.status === 404) return ON_HOST;
      throw error;
    }
  }

  private backoff(failures: number): number {
    const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** failures);
    // Half fixed, half random: never a thundering herd of proxies reconnecting at once.
    return ceiling / 2 + (this.options.random() * ceiling) / 2;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
      this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
