// Server-Sent Events at /events: every change to the history (a run, a reload) is pushed to open pages,
// coalesced so that many probes cost at most a few events a second, whatever the number of pages: the
// snapshot is built once per event, and the gap between events grows with its cost (at most ~10% of a core).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@sre-stack/runtime';

export interface EventHubOptions {
  /** The JSON each event carries, built once per event for all listeners. */
  snapshot: () => unknown;
  /** Subscribes to changes; returns the unsubscribe. */
  subscribe: (listener: () => void) => () => void;
  coalesceMs?: number;
  heartbeatMs?: number;
  maxClients?: number;
  /** A client that has this much unsent is dropped (it reconnects and gets the current state). */
  maxBufferedBytes?: number;
}

export class EventHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #options: Required<Omit<EventHubOptions, 'snapshot' | 'subscribe'>> & EventHubOptions;
  #pending: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #lastBuildMs = 0;

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
    if (this.#clients.size >= this.#options.maxClients) {
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
    response.write(`retry: 3000\n\n${this.#build()}`);
    this.#clients.add(response);
    this.#unsubscribe ??= this.#options.subscribe(() => this.#schedule());
    this.#heartbeat ??= setInterval(
      () => this.#broadcast(': keep-alive\n\n'),
      this.#options.heartbeatMs,
    ).unref();
    const forget = () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#idle();
    };
    response.on('close', forget);
    request.on('close', forget);
  };

  close(): void {
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    this.#idle();
  }

  #build(): string {
    const started = performance.now();
    const text = `event: status\ndata: ${JSON.stringify(this.#options.snapshot())}\n\n`;
    this.#lastBuildMs = performance.now() - started;
    return text;
  }

  #schedule(): void {
    if (this.#pending || this.#clients.size === 0) return;
    this.#pending = setTimeout(
      () => {
        this.#pending = undefined;
        if (this.#clients.size > 0) this.#broadcast(this.#build());
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
