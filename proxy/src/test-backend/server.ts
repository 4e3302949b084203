// The test backend (the load-balancer spec's `be`): one process listening on every target address
// of a config, each answering with its own name and address, e.g. "service: my-service, addr: 127.0.0.1:9090".
// Demos and tests use it to watch the proxy spread requests. Two query parameters script an answer:
// ?status=503 answers that status, ?delay=250 waits that many ms first.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@sre-stack/runtime';
import type { BackendAddress } from './addresses.ts';

export interface RunningBackend {
  address: BackendAddress;
  server: Server;
  /** The bound port (the same as address.port unless that was 0). */
  port: number;
}

export function answer(address: BackendAddress, port: number): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `service: ${address.service}, addr: ${host}:${port}\n`;
}

export async function listenAll(
  addresses: readonly BackendAddress[],
  logger: Logger,
): Promise<RunningBackend[]> {
  const running: RunningBackend[] = [];
  try {
    for (const address of addresses) running.push(await listenOne(address, logger));
  } catch (error) {
    await closeAll(running);
    throw error;
  }
  return running;
}

function listenOne(address: BackendAddress, logger: Logger): Promise<RunningBackend> {
  let port = address.port;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    const status = Number(url.searchParams.get('status') ?? 200);
    const delay = Math.min(60_000, Math.max(0, Number(url.searchParams.get('delay') ?? 0)));
    const body = answer(address, port);
    logger.info(
      {
        backend: address.service,
        addr: `${address.host}:${port}`,
        method: req.method,
        url: req.url,
        host: req.headers.host,
      },
      'request',
    );
    const send = () => {
      res.writeHead(Number.isInteger(status) && status >= 200 && status <= 599 ? status : 200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'x-backend-service': address.service,
        'x-backend-addr': `${address.host}:${port}`,
      });
      res.end(body);
    };
    // The request body is read and dropped, so that uploads complete.
    req.resume();
    if (delay > 0) setTimeout(send, delay);
    else send();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new Error(`cannot listen on ${address.host}:${address.port} (${address.service}): ${error.message}`),
      ),
    );
    server.listen(address.port, address.host, () => {
      port = (server.address() as AddressInfo).port;
      resolve({ address, server, port });
    });
  });
}

export async function closeAll(running: readonly RunningBackend[]): Promise<void> {
  await Promise.all(
    running.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
