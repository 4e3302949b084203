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
  // The proxy's heap is requests in flight: with the services' compact young generation (8 MiB) a
  // scavenge comes every hundred requests and copies the ones still running, and a 20 % old-generation
  // margin turns what they promote into a 30-40 ms full collection every second under load. V8's own
  // young-generation ceiling and a 100 % margin cut GC time per request about fourfold, for some 40 MiB
  // more RSS after load (the default run's budget is 200 MiB); at rest nothing changes.
  const telemetry = await loadTelemetry({ youngGenerationCapMiB: 32, oldGenerationGrowthPercent: 100 });
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
