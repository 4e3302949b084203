import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { shutdownTelemetry } from './telemetry/state.ts';

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
  /** How long in-flight work may take to finish before it is cut off. */
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
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const hooks: { name: string; hook: ShutdownHook }[] = [];
  let running: Promise<number> | undefined;

  async function run(reason: string): Promise<number> {
    const deadline = Date.now() + drainTimeoutMs;
    logger.info({ reason, drain_timeout_ms: drainTimeoutMs }, 'shutting down');
    let code = 0;
    for (const { name, hook } of hooks) {
      try {
        await hook(deadline);
      } catch (error) {
        code = 1;
        logger.error({ err: error, hook: name }, 'shutdown step failed');
      }
    }
    await shutdownTelemetry();
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

/**
 * Stops a server accepting, lets requests in flight finish, and closes what is still open at the
 * deadline. Rejects if connections had to be cut.
 */
export function drainHttpServer(server: Server, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    // Idle keep-alive connections would otherwise hold close() open until they time out, and so would
    // the connections of requests in flight once they finish: close them as they go idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const timer = setTimeout(
      () => {
        clearInterval(sweep);
        server.closeAllConnections();
        reject(new Error('drain deadline passed; open connections were closed'));
      },
      Math.max(0, deadline - Date.now()),
    );
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
