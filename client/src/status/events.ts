// Server-Sent Events at /events: every change to the history (a run, a reload) is pushed to open pages,
// coalesced so that many probes cost at most a few events a second, whatever the number of pages: the
// snapshot is built once per event (and once for all the pages that connect while it is built), and the
// gap between events grows with its cost (at most ~10% of a core).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@sre-stack/runtime';

export interface EventHubOptions {
  /** The JSON text each event carries, built once per event for all listeners. */
  snapshot: () => Promise<string>;
  /** Subscribes to changes; returns the unsubscribe. */
  subscribe: (listener: () => void) => () => void;
  /** A snapshot that could not be built: a bug, reported here; the pages reconnect and try again. */
  onError: (error: unknown) => void;
  coalesceMs?: number;
  heartbeatMs?: number;
  maxClients?: number;
  /** A client that has this much unsent is dropped (it reconnects and gets the current state). */
  maxBufferedBytes?: number;
}

export class EventHub {
  readonly #clients = new Set<ServerResponse>();
  /** Streams waiting for their first snapshot: they count against maxClients too. */
  readonly #joining = new Set<ServerResponse>();
  readonly #options: Required<Omit<EventHubOptions, 'snapshot' | 'subscribe' | 'onError'>> & EventHubOptions;
  #pending: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #lastBuildMs = 0;
  #building: Promise<string> | undefined;
  #closed = false;

  constructor(options: EventHubOptions) {
    this.#options = {
      coalesceMs: 250,
      heartbeatMs: 15_000,
      maxClients: 64,
      maxBufferedBytes: 1 << 20,
      ...options,
    };
  }

  get clients(): number {
    return this.#clients.size;
  }

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (this.#clients.size + this.#joining.size >= this.#options.maxClients) {
      sendJson(response, 503, {
        error: `too many open /events streams (at most ${this.#options.maxClients})`,
      });
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    response.write('retry: 3000\n\n');
    this.#joining.add(response);
    const forget = () => {
      this.#joining.delete(response);
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#idle();
    };
    response.on('close', forget);
    request.on('close', forget);
    // Joins the broadcast list once its first snapshot is written, so that no older one follows a newer.
    void this.#build().then(
      (text) => {
        // Not joining any more: it hung up while the snapshot was built.
        if (!this.#joining.delete(response) || response.destroyed) return;
        if (this.#closed) return void response.end();
        response.write(text);
        this.#clients.add(response);
        this.#unsubscribe ??= this.#options.subscribe(() => this.#schedule());
        this.#heartbeat ??= setInterval(
          () => this.#broadcast(': keep-alive\n\n'),
          this.#options.heartbeatMs,
        ).unref();
      },
      () => {
        this.#joining.delete(response);
        response.destroy();
      },
    );
  };

  close(): void {
    this.#closed = true;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    this.#idle();
  }

  /** The event text; a build in progress is shared. Its time includes the turns between its slices. */
  #build(): Promise<string> {
    if (this.#building) return this.#building;
    const started = performance.now();
    this.#building = this.#options.snapshot().then(
      (json) => {
        this.#building = undefined;
        this.#lastBuildMs = performance.now() - started;
        return `event: status\ndata: ${json}\n\n`;
      },
      (error: unknown) => {
        this.#building = undefined;
        this.#options.onError(error);
        throw error;
      },
    );
    return this.#building;
  }

  #schedule(): void {
    if (this.#pending || this.#clients.size === 0) return;
    this.#pending = setTimeout(
      () => {
        if (this.#clients.size === 0) {
          this.#pending = undefined;
          return;
        }
        // Stays pending while the snapshot builds: changes meanwhile are in it, or in the next event.
        this.#build().then(
          (text) => {
            this.#pending = undefined;
            this.#broadcast(text);
          },
          () => {
            this.#pending = undefined;
            for (const client of this.#clients) client.destroy();
            this.#clients.clear();
            this.#idle();
          },
        );
      },
      Math.max(this.#options.coalesceMs, 10 * this.#lastBuildMs),
    );
    this.#pending.unref();
  }

  #broadcast(text: string): void {
    for (const client of this.#clients) {
      if (client.writableLength > this.#options.maxBufferedBytes) {
        client.destroy();
        this.#clients.delete(client);
        continue;
      }
      client.write(text);
    }
    if (this.#clients.size === 0) this.#idle();
  }

  #idle(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
