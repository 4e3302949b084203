// Entry point: `certs`, --check, one serving thread, or a main thread with its worker threads. The
// rgate bin comes in here too, with its own command line.
import { checkConfig } from './check.ts';
import { type ProxyOptions, parseOptions } from './cli.ts';
import { setLogsExported } from './loggers.ts';
import { setSpanRecording } from './telemetry/tracing.ts';

export async function main(flavor: 'proxy' | 'rgate' = 'proxy'): Promise<void> {
  // Already started by the bin; here only to learn what leaves the process.
  const { telemetry } = await import('@sre-stack/runtime/telemetry');
  setSpanRecording(telemetry.tracesExported || Boolean(process.env.OTEL_TRACES_SAMPLER));
  setLogsExported(telemetry.logsExported);
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
  if (options.check) process.exit(await checkConfig(options.config, flavor));
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
