// A stand-in Docker Engine API on a unix socket, for discovery's unit tests: containers are set by the
// test, /events streams what the test emits, and the stream can be cut to exercise reconnection.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectedContainer } from '../../src/discovery/docker/types.ts';

export interface FakeDocker {
  socketPath: string;
  containers: Map<string, InspectedContainer>;
  /** Requests received, as "METHOD path" without the query. */
  requests: string[];
  /** Event stream connections opened so far. */
  eventConnections: number;
  emit(event: object): void;
  /** Ends every open event stream (as an engine restart would). */
  cutEvents(): void;
  /** While true, /events answers 500 (the engine is up but unwell). */
  failEvents: boolean;
  close(): Promise<void>;
}

export function hostContainer(id: string, labels: Record<string, string>, port: number): InspectedContainer {
  return {
    Id: id,
    Name: `/${id}`,
    Config: { Labels: { ...labels, 'rgate.port': String(port) } },
    State: { Running: true },
    HostConfig: { NetworkMode: 'host' },
    NetworkSettings: { Networks: {} },
  };
}

export async function startFakeDocker(): Promise<FakeDocker> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const streams = new Set<ServerResponse>();
  const fake: FakeDocker = {
    socketPath,
    containers: new Map(),
    requests: [],
    eventConnections: 0,
    failEvents: false,
    emit(event) {
      for (const stream of streams) stream.write(`${JSON.stringify(event)}\n`);
    },
    cutEvents() {
      for (const stream of streams) stream.destroy();
      streams.clear();
    },
    async close() {
      fake.cutEvents();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    fake.requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/containers/json') {
      const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[] };
      const wanted = filters.label ?? [];
      const list = [...fake.containers.values()]
        .filter((container) => container.State?.Running)
        .filter((container) =>
          wanted.every((entry) => {
            const [key, value] = entry.split('=');
            const labels = container.Config?.Labels ?? {};
            return value === undefined ? key! in labels : labels[key!] === value;
          }),
        )
        .map((container) => ({
          Id: container.Id,
          Names: [container.Name],
          Labels: container.Config?.Labels,
        }));
      return json(200, list);
    }
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(url.pathname);
    if (inspect) {
      const container = fake.containers.get(decodeURIComponent(inspect[1] as string));
      return container ? json(200, container) : json(404, { message: 'no such container' });
    }
    if (url.pathname === '/events') {
      fake.eventConnections++;
      if (fake.failEvents) return json(500, { message: 'events unavailable' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    json(404, { message: `no route ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return fake;
}
