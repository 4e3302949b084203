// Starts the real flaky-server bin on loopback with OS-chosen ports, for integration tests.
import { fileURLToPath } from 'node:url';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';

export const BIN = fileURLToPath(new URL('../../bin/flaky-server.mjs', import.meta.url));

export interface RunningServer {
  process: RunningProcess;
  base: string;
  metrics: string;
  stop(): Promise<number | string>;
}

export async function startServer(
  options: { args?: string[]; env?: Record<string, string | undefined> } = {},
): Promise<RunningServer> {
  const running = startProcess(BIN, {
    args: ['--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', ...(options.args ?? [])],
    env: {
      // Nothing leaves the test unless a test asks for it.
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_TRACES_EXPORTER: undefined,
      SERVER_ADMIN_TOKEN: undefined,
      SERVER_CONFIG: undefined,
      LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  try {
    const line = await running.waitForLine((entry) => entry.msg === 'listening', 30_000);
    return {
      process: running,
      base: `http://127.0.0.1:${line.port}`,
      metrics: `http://127.0.0.1:${line.metrics_port}`,
      stop: () => running.stop('SIGTERM', 15_000),
    };
  } catch (error) {
    await running.stop('SIGKILL');
    throw error;
  }
}

/** Polls until an access-log line for the request matches, since it is written after the answer. */
export function accessLogLine(server: RunningServer, predicate: (line: Record<string, unknown>) => boolean) {
  return server.process.waitForLine((line) => line.msg === 'request' && predicate(line), 10_000);
}
