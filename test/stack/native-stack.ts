// Starts the three real bins on loopback, wired as in the demo (prober → proxy → flaky-server), on
// ports the OS picks, for the stack tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { repoPath } from './helpers.ts';

export interface Service {
  process: RunningProcess;
  port?: number;
  metricsPort: number;
}

export interface NativeStack {
  server: Service;
  proxy: Service;
  prober: Service;
  dir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** flaky-server's chaos profile (YAML). */
  serverConfig: string;
  /** The prober's probes file (YAML); TARGET_URL and SERVER_URL are set for it. */
  probes: string;
  /** The proxy's config; the demo's proxy/proxy.yaml when left out. */
  proxyConfig?: string;
  /** Extra environment for all three (telemetry endpoints). */
  env?: Record<string, string>;
}

async function listening(process: RunningProcess, name: string): Promise<Service> {
  const line = await process
    .waitForLine((entry) => entry.msg === 'listening', 30_000)
    .catch((error: Error) => {
      throw new Error(`${name}: ${error.message}`);
    });
  return { process, port: line.port as number | undefined, metricsPort: line.metrics_port as number };
}

export async function startNativeStack(options: StackOptions): Promise<NativeStack> {
  const dir = mkdtempSync(join(tmpdir(), 'native-stack-'));
  const serverConfig = join(dir, 'flaky-server.yaml');
  const probes = join(dir, 'probes.yaml');
  writeFileSync(serverConfig, options.serverConfig);
  writeFileSync(probes, options.probes);
  let proxyConfig = repoPath('proxy', 'proxy.yaml');
  if (options.proxyConfig) {
    proxyConfig = join(dir, 'proxy.yaml');
    writeFileSync(proxyConfig, options.proxyConfig);
  }
  const started: RunningProcess[] = [];
  const stop = async () => {
    // Traffic first: prober, then proxy, then server.
    for (const process of started.reverse()) await process.stop('SIGTERM', 15_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const env = options.env ?? {};
    const serverProcess = startProcess(repoPath('server/bin/flaky-server.mjs'), {
      env: {
        ...env,
        SERVER_PORT: '0',
        SERVER_METRICS_PORT: '0',
        SERVER_HOST: '127.0.0.1',
        SERVER_CONFIG: serverConfig,
      },
    });
    started.push(serverProcess);
    const server = await listening(serverProcess, 'flaky-server');
    const serverUrl = `http://127.0.0.1:${server.port}`;
    const proxyProcess = startProcess(repoPath('proxy/bin/proxy.mjs'), {
      env: {
        ...env,
        PROXY_PORT: '0',
        PROXY_METRICS_PORT: '0',
        PROXY_CONFIG: proxyConfig,
        UPSTREAM_URL: serverUrl,
        // One serving process: the machine has two cores and the tests run other things too.
        PROXY_WORKERS: '1',
      },
    });
    started.push(proxyProcess);
    const proxy = await listening(proxyProcess, 'proxy');
    const proberProcess = startProcess(repoPath('client/bin/prober.mjs'), {
      env: {
        ...env,
        PROBER_METRICS_PORT: '0',
        PROBER_CONFIG: probes,
        TARGET_URL: `http://127.0.0.1:${proxy.port}`,
        SERVER_URL: serverUrl,
      },
    });
    started.push(proberProcess);
    const prober = await listening(proberProcess, 'prober');
    return { server, proxy, prober, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads one metric family's samples from a /metrics page: [labels, value] pairs. */
export async function scrape(
  port: number,
  name: string,
): Promise<{ labels: Record<string, string>; value: number }[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    samples.push({ labels: labels as Record<string, string>, value: Number(match[3]) });
  }
  return samples;
}

export function sum(
  samples: { labels: Record<string, string>; value: number }[],
  where: (labels: Record<string, string>) => boolean = () => true,
): number {
  return samples.filter((sample) => where(sample.labels)).reduce((total, sample) => total + sample.value, 0);
}
