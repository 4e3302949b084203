// What every HTTP listener of the three services sets against slow and odd clients.
import type { Server } from 'node:http';

/**
 * Node checks request heads and bodies against headersTimeout and requestTimeout only this often. Its
 * default, 30 s, let a slowly trickled head outlive a 10 s headersTimeout by up to 30 s.
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

/** The bounds of a listener whose config does not set its own: the server's and the admin ports'. */
export const LISTENER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
} as const;

const NO_TUNNELS = 'CONNECT is not supported here: this server does not open tunnels\n';
const NO_TUNNELS_RESPONSE =
  'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${Buffer.byteLength(NO_TUNNELS)}\r\n\r\n${NO_TUNNELS}`;

/** Answers CONNECT with a 405; without a 'connect' listener Node closes the socket without a word. */
export function refuseTunnels(server: Pick<Server, 'on'>): void {
  server.on('connect', (_request, socket) => {
    socket.on('error', () => {});
    socket.end(NO_TUNNELS_RESPONSE);
  });
}
