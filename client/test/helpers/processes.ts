// Starting the real bins for integration tests, and reading what they expose.
import { fileURLToPath } from 'node:url';
import { type LogLine, type RunningProcess, startProcess } from '@sre-stack/runtime/testing';

export const PROBER_BIN = fileURLToPath(new URL('../../bin/prober.mjs', import.meta.url));
export const SERVER_BIN = fileURLToPath(new URL('../../../server/bin/flaky-server.mjs', import.meta.url));

export interface Started {
  process: RunningProcess;
  port?: number;
  metricsPort: number;
}

export async function startProber(
  config: string,
  env: Record<string, string | undefined> = {},
  extraArgs: string[] = [],
): Promise<Started> {
  const process = startProcess(PROBER_BIN, {
    args: ['--config', config, '--metrics-port', '0', ...extraArgs],
    env,
  });
  const line = await process.waitForLine((entry) => entry.msg === 'listening', 15_000);
  return { process, metricsPort: Number(line.metrics_port) };
}

export async function startServer(
  env: Record<string, string | undefined> = {},
): Promise<Started & { url: string }> {
  const process = startProcess(SERVER_BIN, { args: ['--port', '0', '--metrics-port', '0'], env });
  const line = await process.waitForLine((entry) => entry.msg === 'listening', 15_000);
  const port = Number(line.port);
  return { process, port, metricsPort: Number(line.metrics_port), url: `http://127.0.0.1:${port}` };
}

export async function scrape(metricsPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return response.text();
}

/** The value of one sample, e.g. sample(text, 'probe_success{probe="status"}'); undefined if absent. */
export function sample(metrics: string, series: string): number | undefined {
  for (const line of metrics.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}

/** One entry of GET /probes, as far as tests read it. */
export interface ProbeEntry {
  name: string;
  timeout_ms: number;
  state: { status: string };
  last_result: { success: boolean; status_code: number | null } | null;
  window: { runs: number; success_ratio: number | null };
}

export async function probes(
  metricsPort: number,
): Promise<{ location: string; probes: ProbeEntry[]; actions: ProbeEntry[] }> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/probes`);
  return response.json() as never;
}

export const runsOf = (lines: LogLine[], name: string, msg?: string) =>
  lines.filter(
    (line) =>
      (line.probe === name || line.action === name) &&
      (msg === undefined ? /^(probe|action) (succeeded|failed)$/.test(String(line.msg)) : line.msg === msg),
  );
