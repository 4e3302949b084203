// The TLS listener: the proxy's request handler behind HTTPS, with the handshake counted (completed by
// protocol, failed by reason) and the certificate's expiry exported. New credentials (a renewed
// certificate) take effect for new connections without a restart.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type Logger, refuseTunnels } from '@sre-stack/runtime';
import type { TlsCredentials } from './credentials.ts';
import { tlsMetrics } from './handshake-metrics.ts';

/**
 * How long a connection may take to complete its handshake. Node's default, 120 s, lets idle or
 * half-finished handshakes hold sockets for two minutes; a failed one counts as
 * proxy_tls_handshake_errors_total{reason="timeout"}.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsListener {
  server: Server;
  /** Serves these credentials to new connections from now on. */
  update(credentials: TlsCredentials): void;
}

export function createTlsListener(
  credentials: TlsCredentials,
  options: ServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  logger: Logger,
  name = 'https',
): TlsListener {
  const metrics = tlsMetrics(name);
  const server = createServer(
    {
      handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      ...options,
      cert: credentials.cert,
      key: credentials.key,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    },
    handler,
  );
  refuseTunnels(server);
  metrics.certificateExpiry(credentials.expiresAt);
  server.on('secureConnection', (socket: TLSSocket) => metrics.handshake(socket.getProtocol()));
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    const reason = metrics.handshakeError(error);
    // Scanners and clients without the CA make these all day: debug, not warn.
    logger.debug(
      { listener: name, reason, client_ip: socket.remoteAddress, err: error.message },
      'TLS handshake failed',
    );
  });
  return {
    server,
    update(next) {
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2' });
      metrics.certificateExpiry(next.expiresAt);
    },
  };
}
