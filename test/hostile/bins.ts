// The real bins on ephemeral loopback ports, for the hostile regression suite. Each start writes its
// config to a fresh temp folder and waits for the service's `listening` line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';

const root = new URL('../../', import.meta.url);
export const BINS = {
  server: new URL('server/bin/flaky-server.mjs', root).pathname,
  prober: new URL('client/bin/prober.mjs', root).pathname,
  proxy: new URL('proxy/bin/proxy.mjs', root).pathname,
};

/** Telemetry off and no stray collector: the suite checks behaviour, not export. */
const QUIET_ENV = { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'info' };

export interface Service {
  process: RunningProcess;
  port: number;
  metricsPort: number;
  url: string;
  adminUrl: string;
  dir: string;
  configFile: string;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hostile-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function startService(
  bin: keyof typeof BINS,
  config: string | undefined,
  args: string[] = [],
  env: Record<string, string> = {},
  configName = 'config.yaml',
): Promise<Service> {
  const { dir } = await tempDir();
  const configFile = join(dir, configName);
  if (config !== undefined) await writeFile(configFile, config);
  const portArgs =
    bin === 'prober'
      ? ['--metrics-port', '0']
      : ['--port', '0', '--metrics-port', '0', ...(bin === 'proxy' ? ['--workers', '1'] : [])];
  const process = startProcess(BINS[bin], {
    args: [...(config !== undefined ? ['--config', configFile] : []), ...portArgs, ...args],
    env: { ...QUIET_ENV, ...env },
  });
  const line = await process.waitForLine((entry) => entry.msg === 'listening', 30_000);
  const port = (line.port as number | undefined) ?? 0;
  const metricsPort = line.metrics_port as number;
  return {
    process,
    port,
    metricsPort,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${metricsPort}`,
    dir,
    configFile,
    async stop(signal = 'SIGTERM') {
      const code = await process.stop(signal, 15_000);
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A plain HTTP upstream in the test process: answers 200 "ok" after `delayMs`. */
export async function startUpstream(
  delayMs = 0,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    setTimeout(() => response.end('ok'), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** stderr and stdout of a process that failed to start: what a person reading the terminal sees. */
export function output(service: RunningProcess): string {
  return [...service.stderr, ...service.lines.map((line) => JSON.stringify(line))].join('\n');
}

/** No JavaScript stack frame anywhere in the output. */
export const STACK_FRAME = /\n\s+at \S+ \(|\n\s+at (file|node):/;
