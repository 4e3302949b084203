// Keep-alive clients on raw sockets, for drain tests: each connection sends one request after another
// and records exactly what happened to each. A request is *dropped* when it was written on an open
// connection and the connection closed without answering it; a request is never written on a
// connection whose last response said `Connection: close` (that is what a well-behaved client does).
import { connect, type Socket } from 'node:net';

export interface KeepAliveReport {
  /** Requests written. */
  sent: number;
  /** Complete responses received. */
  answered: number;
  /** Written on an open connection, then the connection closed without a response. */
  dropped: number;
  /** Responses that came after `stop` was called and did not say Connection: close. */
  keptAliveAfterStop: number;
  /** Connections that closed with no request waiting (normal for an idle connection). */
  closedIdle: number;
  /** Connection attempts refused (the listener was closed): no request was written. */
  refused: number;
  /** Responses that said Connection: close. */
  closing: number;
}

export interface KeepAliveLoad {
  /**
   * Resolves once every connection has had a response, so all are established keep-alive connections
   * (a connection still in the listener's accept queue is reset when the listener closes: that is no
   * keep-alive request being dropped). Rejects after timeoutMs.
   */
  established(timeoutMs?: number): Promise<void>;
  /** From now on, count responses that do not close the connection. */
  markStop(): void;
  /** Stops sending and resolves once every connection is done. */
  finish(): Promise<KeepAliveReport>;
}

export interface KeepAliveOptions {
  port: number;
  host?: string;
  connections: number;
  path?: string;
  /** Extra header lines, e.g. ['Host: example']. */
  headers?: string[];
  /** Stop sending new requests after this long at the latest. */
  maxMs?: number;
}

export function startKeepAliveLoad(options: KeepAliveOptions): KeepAliveLoad {
  const report: KeepAliveReport = {
    sent: 0,
    answered: 0,
    dropped: 0,
    keptAliveAfterStop: 0,
    closedIdle: 0,
    refused: 0,
    closing: 0,
  };
  let stopMarked = false;
  let answeredConnections = 0;
  const onEstablished = new Set<() => void>();
  let stopSending = false;
  const until = Date.now() + (options.maxMs ?? 30_000);
  const request = `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${options.host ?? '127.0.0.1'}\r\n${(options.headers ?? []).map((line) => `${line}\r\n`).join('')}\r\n`;

  const runConnection = () =>
    new Promise<void>((resolve) => {
      const socket: Socket = connect(options.port, options.host ?? '127.0.0.1');
      let waiting = false;
      let buffer = '';
      let connected = false;
      let hadResponse = false;
      const sendNext = () => {
        if (stopSending || Date.now() > until) {
          socket.end();
          return;
        }
        waiting = true;
        report.sent++;
        socket.write(request);
      };
      socket.setNoDelay(true);
      socket.on('connect', () => {
        connected = true;
        sendNext();
      });
      socket.on('data', (chunk) => {
        buffer += chunk.toString('latin1');
        for (;;) {
          const headEnd = buffer.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const head = buffer.slice(0, headEnd);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffer.length < headEnd + 4 + length) return;
          buffer = buffer.slice(headEnd + 4 + length);
          waiting = false;
          report.answered++;
          if (!hadResponse) {
            hadResponse = true;
            if (++answeredConnections === options.connections) for (const wake of onEstablished) wake();
          }
          const closing = /\r\nconnection:\s*close/i.test(head);
          if (stopMarked && !closing) report.keptAliveAfterStop++;
          if (closing) {
            report.closing++;
            socket.end();
            return;
          }
          sendNext();
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!connected && error.code === 'ECONNREFUSED') report.refused++;
      });
      socket.on('close', () => {
        if (waiting) report.dropped++;
        else if (connected) report.closedIdle++;
        resolve();
      });
    });

  const running = Array.from({ length: options.connections }, () => runConnection());
  return {
    established(timeoutMs = 10_000) {
      if (answeredConnections === options.connections) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          onEstablished.delete(done);
          reject(new Error(`only ${answeredConnections} of ${options.connections} connections answered`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        onEstablished.add(done);
      });
    },
    markStop() {
      stopMarked = true;
    },
    async finish() {
      stopSending = true;
      await Promise.all(running);
      return report;
    },
  };
}
