import { subscribe } from 'node:diagnostics_channel';
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { shutdownTelemetry } from './telemetry/state.ts';

/** The drain bound when a service sets none: within it the process has exited, cut or not. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;
/** After the drain bound: time to flush telemetry and logs before the process exits regardless. */
const EXIT_MARGIN_MS = 1000;

export type ShutdownHook = (deadline: number) => void | Promise<void>;

export interface Lifecycle {
  /** Hooks run in the order they were added; telemetry is flushed after all of them. */
  onShutdown(name: string, hook: ShutdownHook): void;
  /** Starts the shutdown (as a signal would) and resolves with the exit code once it is done. */
  shutdown(reason: string): Promise<number>;
  readonly stopping: boolean;
}

export interface LifecycleOptions {
  logger: Logger;
  /** How long in-flight work may take to finish before it is cut off (DEFAULT_DRAIN_TIMEOUT_MS). */
  drainTimeoutMs?: number;
  /** Exit the process when done (the default); tests turn it off. */
  exit?: boolean;
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight work finish within a bound, flush telemetry, exit 0.
 * A second signal exits at once. Exit code 1 when work had to be cut off.
 */
export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { logger } = options;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const hooks: { name: string; hook: ShutdownHook }[] = [];
  let running: Promise<number> | undefined;

  async function run(reason: string): Promise<number> {
    const deadline = Date.now() + drainTimeoutMs;
    logger.info({ reason, drain_timeout_ms: drainTimeoutMs }, 'shutting down');
    // Whatever a hook or the telemetry flush does, the process is gone shortly after the bound.
    if (options.exit !== false) {
      setTimeout(() => {
        logger.error({ drain_timeout_ms: drainTimeoutMs }, 'shutdown overran its bound: exiting now');
        logger.flush?.();
        process.exit(1);
      }, drainTimeoutMs + EXIT_MARGIN_MS).unref();
    }
    let code = 0;
    for (const { name, hook } of hooks) {
      try {
        await hook(deadline);
      } catch (error) {
        code = 1;
        logger.error({ err: error, hook: name }, 'shutdown step failed');
      }
    }
    // An unreachable collector must not hold the exit past the bound.
    await Promise.race([
      shutdownTelemetry(),
      new Promise((resolve) =>
        setTimeout(resolve, Math.max(deadline - Date.now(), 0) + EXIT_MARGIN_MS / 2).unref(),
      ),
    ]);
    logger.info({ exit_code: code }, 'stopped');
    logger.flush?.();
    return code;
  }

  const lifecycle: Lifecycle = {
    onShutdown: (name, hook) => void hooks.push({ name, hook }),
    shutdown(reason) {
      running ??= run(reason).then((code) => {
        if (options.exit !== false) process.exit(code);
        return code;
      });
      return running;
    },
    get stopping() {
      return running !== undefined;
    },
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (running) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      void lifecycle.shutdown(signal);
    });
  }
  return lifecycle;
}

/** What a drain needs to know about each server: its connections, and which are busy or idle since when. */
interface ServerActivity {
  sockets: Set<Socket>;
  draining: boolean;
}

/** One connection's activity, kept on the socket: written on every request, so no table lookup. */
interface ConnectionActivity {
  server: ServerActivity;
  /** Requests in flight on it (more than one when the client pipelines). */
  busy: number;
  /** When its last response finished (Date.now()). */
  lastActive: number;
  /** The latest response, for `Connection: close` when a drain starts while it is running. */
  response: ServerResponse | undefined;
}

const activity = new WeakMap<Server, ServerActivity>();
const ACTIVITY = Symbol('connection activity');
type TrackedSocket = Socket & { [ACTIVITY]?: ConnectionActivity };

function activityOf(server: Server): ServerActivity {
  let state = activity.get(server);
  if (!state) {
    state = { sockets: new Set(), draining: false };
    activity.set(server, state);
  }
  return state;
}

interface RequestMessage {
  response: ServerResponse;
  socket: TrackedSocket;
  server: Server;
}

// Every HTTP server in the process, the services' and the admin listeners', is watched from the start
// through Node's diagnostics channels, so that a drain knows which connections are busy and which have
// been idle for how long; no service has to register its servers. The work per request is a few field
// writes on the connection's record: tables of responses, or a 'close' listener per response, kept
// young objects reachable from old ones and doubled the proxy's garbage-collection time.
subscribe('http.server.request.start', (message) => {
  const { response, socket, server } = message as RequestMessage;
  let connection = socket[ACTIVITY];
  if (connection === undefined) {
    const state = activityOf(server);
    connection = { server: state, busy: 0, lastActive: Date.now(), response: undefined };
    socket[ACTIVITY] = connection;
    state.sockets.add(socket);
    socket.once('close', () => state.sockets.delete(socket));
  }
  connection.busy++;
  connection.response = response;
  // Published before the 'request' event: the handler's own headers still win, this only adds one.
  if (connection.server.draining) response.setHeader('connection', 'close');
});

// Published when the whole response went out; a client that leaves first closes the connection.
subscribe('http.server.response.finish', (message) => {
  const connection = (message as RequestMessage).socket?.[ACTIVITY];
  if (connection === undefined) return;
  connection.busy = Math.max(0, connection.busy - 1);
  connection.lastActive = Date.now();
  if (connection.busy === 0) connection.response = undefined;
});

export interface DrainOptions {
  /**
   * How long a keep-alive connection must have been idle before the drain closes it. A client that is
   * busy on the connection sends its next request well within this and is answered (with Connection:
   * close); closing sooner races with requests already on the wire.
   */
  idleGraceMs?: number;
}

/** By default a connection counts as idle after 1 s without a request, or half the drain bound if less. */
export const DEFAULT_IDLE_GRACE_MS = 1000;
const SWEEP_INTERVAL_MS = 25;

/**
 * Stops a server accepting and lets requests in flight finish. Every response from now on carries
 * `Connection: close`, so clients open their next request elsewhere; connections that stay idle for
 * the grace period are closed; whatever is still open at the deadline is cut, and the promise rejects.
 */
export function drainHttpServer(server: Server, deadline: number, options: DrainOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    const state = activityOf(server);
    state.draining = true;
    const started = Date.now();
    const grace = Math.min(
      options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS,
      Math.max(0, (deadline - started) / 2),
    );
    for (const socket of state.sockets as Set<TrackedSocket>) {
      const response = socket[ACTIVITY]?.response;
      if (response !== undefined && !response.headersSent) response.setHeader('connection', 'close');
    }
    let graceOver = false;
    const sweep = setInterval(() => {
      const now = Date.now();
      if (!graceOver && now - started >= grace) {
        graceOver = true;
        // Connections that never carried a request are not tracked: idle since the drain began.
        server.closeIdleConnections();
      }
      for (const socket of state.sockets as Set<TrackedSocket>) {
        const connection = socket[ACTIVITY];
        if (
          connection !== undefined &&
          connection.busy === 0 &&
          now - Math.max(connection.lastActive, started) >= grace
        )
          socket.destroy();
      }
    }, SWEEP_INTERVAL_MS);
    const timer = setTimeout(
      () => {
        clearInterval(sweep);
        server.closeAllConnections();
        reject(new Error('drain deadline passed; open connections were closed'));
      },
      Math.max(0, deadline - Date.now()),
    );
    // http.Server#close() would also close idle connections at once, racing with requests that are on
    // their way on them; the net.Server close only stops accepting and waits for connections to end.
    netServerClose.call(server, () => {
      clearInterval(sweep);
      clearTimeout(timer);
      resolve();
    });
  });
}

const netServerClose = NetServer.prototype.close as (this: NetServer, callback: () => void) => NetServer;
