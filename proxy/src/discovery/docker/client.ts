// A small Docker Engine API client over undici: the few calls discovery needs. Unversioned paths: the
// engine then speaks its newest API version, which Docker and Podman's compatible API both accept.
import { Pool } from 'undici';
import type { DockerEndpoint } from './docker-host.ts';
import type { DockerEvent, InspectedContainer, ListedContainer } from './types.ts';

export class DockerApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface DockerClientOptions {
  /** Bound on each list or inspect call. Default 10 s. */
  requestTimeoutMs?: number;
}

export class DockerClient {
  readonly endpoint: DockerEndpoint;
  private readonly pool: Pool;
  private readonly timeoutMs: number;

  constructor(endpoint: DockerEndpoint, options: DockerClientOptions = {}) {
    this.endpoint = endpoint;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    // Several connections: the event stream holds one for as long as it lasts.
    this.pool =
      endpoint.kind === 'unix'
        ? new Pool('http://docker', { socketPath: endpoint.socketPath, connections: 4 })
        : new Pool(endpoint.origin, { connections: 4 });
  }

  /** Running containers carrying every label in `labels` ("key=value" or a bare "key"). */
  listContainers(labels: readonly string[]): Promise<ListedContainer[]> {
    const filters = JSON.stringify(labels.length > 0 ? { label: labels } : {});
    return this.getJson(`/containers/json?filters=${encodeURIComponent(filters)}`);
  }

  inspectContainer(id: string): Promise<InspectedContainer> {
    return this.getJson(`/containers/${encodeURIComponent(id)}/json`);
  }

  /**
   * Container events from now on, one parsed object at a time, until the stream ends or `signal` aborts.
   * Podman sends the response head only with the first event, so there is no head timeout here.
   */
  async *events(signal: AbortSignal, onConnected?: () => void): AsyncGenerator<DockerEvent> {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
    const { statusCode, body } = await this.pool.request({
      path: `/events?filters=${filters}`,
      method: 'GET',
      signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    if (statusCode !== 200) {
      const text = await body.text().catch(() => '');
      throw new DockerApiError(statusCode, `GET /events: ${statusCode} ${text.slice(0, 200)}`);
    }
    onConnected?.();
    let pending = '';
    for await (const chunk of body) {
      pending += (chunk as Buffer).toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        if (line === '') continue;
        try {
          yield JSON.parse(line) as DockerEvent;
        } catch {
          // A line that is not JSON tells nothing; the periodic re-list covers anything missed.
        }
      }
    }
  }

  private async getJson<T>(path: string): Promise<T> {
    const { statusCode, body } = await this.pool.request({
      path,
      method: 'GET',
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await body.text();
    if (statusCode !== 200) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {}
      throw new DockerApiError(
        statusCode,
        `GET ${path.split('?')[0]}: ${statusCode} ${message.slice(0, 200)}`,
      );
    }
    return JSON.parse(text) as T;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
