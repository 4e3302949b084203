// Entry point: --check, a single serving process, or a cluster primary with its workers.
import cluster from 'node:cluster';
import { checkConfig } from './check.ts';
import { parseOptions } from './cli.ts';
import { setLogsExported } from './loggers.ts';
import { setSpanRecording } from './telemetry/tracing.ts';

export async function main(): Promise<void> {
  // Already started by the bin; here only to learn what leaves the process.
  const { telemetry } = await import('@sre-stack/runtime/telemetry');
  setSpanRecording(telemetry.tracesExported || Boolean(process.env.OTEL_TRACES_SAMPLER));
  setLogsExported(telemetry.logsExported);
  if (cluster.isWorker) {
    const { runWorker } = await import('./cluster/worker.ts');
    return runWorker();
  }
  const options = parseOptions();
  if (options.check) process.exit(await checkConfig(options.config));
  if (options.workers > 1) {
    const { runPrimary } = await import('./cluster/primary.ts');
    return runPrimary(options);
  }
  const { serveSingle } = await import('./single.ts');
  return serveSingle(options);
}
