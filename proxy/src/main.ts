// Entry point: `certs`, --check, one serving thread, or a main thread with its worker threads. The
// rgate bin comes in here too, with its own command line.
// Only the command line is imported up front: `certs`, --help and --check answer without the SDK.
import { loadTelemetry } from '@sre-stack/runtime/cli';
import { type ProxyOptions, parseOptions } from './cli.ts';

export async function main(flavor: 'proxy' | 'rgate' = 'proxy'): Promise<void> {
  if (flavor === 'proxy' && process.argv[2] === 'certs') {
    const { runCerts } = await import('./pki/cli.ts');
    process.exit(await runCerts(process.argv.slice(3)));
  }
  let options: ProxyOptions;
  if (flavor === 'rgate') {
    const { parseRgateOptions } = await import('./rgate/cli.ts');
    options = parseRgateOptions();
  } else {
    options = parseOptions();
  }
  if (options.check) {
    const { checkConfig } = await import('./check.ts');
    process.exit(await checkConfig(options.config, flavor));
  }
  // Telemetry before the code that serves (node:http, undici, pino), which its hooks must see load.
  // The proxy's heap is requests in flight, many more of them than the other services hold: with their
  // compact heap (8 MiB young generation, 20 % old-generation margin) a scavenge comes every ~150
  // requests. Twice the young generation and a 50 % margin cut GC time per request by a third, for
  // about 8 MiB more RSS after load (measured in BENCHMARKS.md); at rest nothing changes.
  const telemetry = await loadTelemetry({ youngGenerationCapMiB: 16, oldGenerationGrowthPercent: 50 });
  const [{ setLogsExported }, { setSpanRecording }] = await Promise.all([
    import('./loggers.ts'),
    import('./telemetry/tracing.ts'),
  ]);
  setSpanRecording(telemetry.tracesExported || Boolean(process.env.OTEL_TRACES_SAMPLER));
  setLogsExported(telemetry.logsExported);
  let note: string | undefined;
  if (options.workers > 1) {
    const { oneProcessReason } = await import('./config/one-process.ts');
    note = await oneProcessReason(options.config);
    if (note === undefined) {
      const { runPrimary } = await import('./cluster/primary.ts');
      return runPrimary(options);
    }
  }
  const { serveSingle } = await import('./single.ts');
  return serveSingle({ ...options, workers: 1 }, flavor, note);
}
