// Entry point: `certs`, --check, one serving thread, or a main thread with its worker threads. The
// rgate bin comes in here too, with its own command line.
// Only the command line is imported up front: `certs`, --help and --check answer without the SDK.
import { loadTelemetryAfterZod } from '@sre-stack/runtime/cli';
import { type ProxyOptions, parseOptions } from './cli.ts';
import { PROXY_HEAP } from './heap.ts';

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
  const telemetry = await loadTelemetryAfterZod(PROXY_HEAP);
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
