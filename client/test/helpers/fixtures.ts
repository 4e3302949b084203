// Fixture HTTP servers on loopback for tests that need specific behaviour (slow, resetting, big bodies).

import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Route = (request: IncomingMessage, response: ServerResponse) => void;

export interface Fixture {
  url: string;
  port: number;
  server: Server;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startFixture(routes: Record<string, Route>): Promise<Fixture> {
  const requests: Fixture['requests'] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    const route = routes[(request.url ?? '/').split('?')[0] ?? '/'];
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('Not Found');
      return;
    }
    route(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const text =
  (body: string, status = 200, delayMs = 0): Route =>
  (_request, response) => {
    const send = () => {
      if (response.destroyed) return;
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(body);
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };

export const json =
  (body: unknown, status = 200): Route =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

/** Closes the connection without answering: the client sees a reset / "other side closed". */
export const reset: Route = (request) => request.socket.destroy();

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'prober-test-'));
}

export async function writeConfig(dir: string, yaml: string, name = 'probes.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}
