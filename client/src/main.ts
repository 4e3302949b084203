// Only the command line is imported up front: --help answers without the SDK, and --once runs without
// it (a one-shot check exports nothing). Serving loads telemetry first, then everything that serves.
import type { Logger } from '@sre-stack/runtime';
import {
  CliError,
  cli,
  loadTelemetryAfterZod,
  metricsHostOption,
  parseDurationOption,
  parsePort,
} from '@sre-stack/runtime/cli';
import { PROBER_HEAP } from './heap.ts';

const EXIT_CONFIG = 2;

export async function main(argv?: string[]): Promise<void> {
  const args = argv ?? process.argv.slice(2);
  if (args[0] === 'experiment') {
    // An experiment is one trace: telemetry loads before the code that probes (not for --help).
    if (!args.some((arg) => arg === '--help' || arg === '-h')) await loadTelemetryAfterZod();
    const { experimentCommand } = await import('./experiment/cli.ts');
    process.exit(await experimentCommand(args.slice(1)));
  }
  const options = cli({
    name: 'prober',
    summary: 'scheduled synthetic HTTP checks and chaos actions, reported as logs, metrics and traces',
    usage:
      'prober [--config FILE] [--metrics-port PORT] [--once]\n       prober experiment FILE [--journal FILE] [--probes FILE]   (see prober experiment --help)',
    options: {
      config: {
        type: 'string',
        short: 'c',
        description: 'probes file (YAML)',
        env: 'PROBER_CONFIG',
        default: 'probes.yaml',
        valueName: 'FILE',
      },
      'metrics-port': {
        type: 'string',
        description: 'port of the status page (/), /metrics, /probes, /healthz, /readyz',
        env: 'PROBER_METRICS_PORT',
        default: '9103',
        valueName: 'PORT',
      },
      'metrics-host': metricsHostOption('PROBER_METRICS_HOST'),
      'drain-timeout': {
        type: 'string',
        description: 'on SIGTERM, how long runs in progress may take to finish; the process exits within it',
        env: 'PROBER_DRAIN_TIMEOUT',
        default: '5s',
        valueName: 'DURATION',
      },
      once: {
        type: 'boolean',
        description: 'run every probe once, print a table, exit 1 if any failed (actions are not run)',
      },
    },
    footer: [
      'Environment:',
      '  PROBER_LOCATION   where this prober runs, on probe_info and every log line (default local)',
      '  GRAFANA_URL       Grafana base URL: the status page links failing runs to Explore (Tempo, Loki)',
      '  TARGET_URL, SERVER_URL, ...   substituted in the probes file as $' + '{VAR:-default}',
      '  LOG_FORMAT=pretty, LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT   as for every service',
      '',
      'Exit codes: 0 ok; 1 a probe failed (--once) or shutdown was cut off; 2 usage or config error.',
      'The probes file reloads on change and on SIGHUP; a broken edit is refused and the last good config runs on.',
    ].join('\n'),
    ...(argv ? { argv } : {}),
  });
  const location = process.env.PROBER_LOCATION?.trim() || 'local';
  const file = options.config as string;
  if (options.once) {
    const { runOnce } = await import('./once.ts');
    process.exit(await runOnce({ file, location }));
  }
  let metricsPort: number;
  let drainTimeoutMs: number;
  try {
    metricsPort = parsePort(options['metrics-port'], '--metrics-port');
    drainTimeoutMs = parseDurationOption(options['drain-timeout'], '--drain-timeout');
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`prober: ${error.message}\nTry 'prober --help'.\n`);
    process.exit(EXIT_CONFIG);
  }
  await loadTelemetryAfterZod(PROBER_HEAP);
  const { createLogger } = await import('@sre-stack/runtime');
  const logger = createLogger({ service: 'prober' });
  const metricsHost = options['metrics-host'] || undefined;
  await serve({ file, location, metricsPort, metricsHost, drainTimeoutMs, logger });
}

async function serve(options: {
  file: string;
  location: string;
  metricsPort: number;
  metricsHost: string | undefined;
  drainTimeoutMs: number;
  logger: Logger;
}) {
  const { file, location, logger } = options;
  const [
    { ConfigError, createLifecycle, startAdminServer, watchConfig },
    { toDefinitions },
    { probesFileSchema },
    { Monitor },
    metrics,
    { StatusPage },
    { routeCronWarnings },
    { Scheduler },
    { ExperimentScheduler },
    { tracer },
  ] = await Promise.all([
    import('@sre-stack/runtime'),
    import('./config/definitions.ts'),
    import('./config/schema.ts'),
    import('./monitor.ts'),
    import('./reporters/metrics.ts'),
    import('./status/status-page.ts'),
    import('./scheduler/cron-warnings.ts'),
    import('./scheduler/scheduler.ts'),
    import('./experiment/schedule.ts'),
    import('./tracing.ts'),
  ]);
  routeCronWarnings(logger);
  const lifecycle = createLifecycle({ logger, drainTimeoutMs: options.drainTimeoutMs });
  const status = new StatusPage({ logger, location, grafanaUrl: process.env.GRAFANA_URL });
  const monitor = new Monitor({ logger, location, metrics, tracer, onResult: status.record });
  const scheduler = new Scheduler(monitor.createHandler, monitor.clock);
  const experiments = new ExperimentScheduler({ logger, location });
  let watched: Awaited<ReturnType<typeof watchConfig<typeof probesFileSchema>>>;
  try {
    watched = await watchConfig({
      file,
      schema: probesFileSchema,
      // Reloads parse in a child process, so a large file never delays scheduled runs.
      schemaSource: { module: new URL('./config/schema.ts', import.meta.url).href, name: 'probesFileSchema' },
      logger,
      apply: async (next) => {
        // Experiment files first: a bad one refuses the whole config.
        await experiments.apply(next.experiments);
        const definitions = toDefinitions(next);
        status.configure(next.history, definitions);
        const summary = scheduler.apply(definitions);
        metrics.recordConfigured(definitions);
        logger.info({ config_file: file, ...summary }, 'config applied');
      },
    });
  } catch (error) {
    const issues = error instanceof ConfigError ? error.issues : undefined;
    logger.error(
      { config_file: file, issues, err: issues ? undefined : error },
      `config invalid, not starting: ${(error as Error).message}`,
    );
    process.exit(EXIT_CONFIG);
  }
  const admin = await startAdminServer({
    port: options.metricsPort,
    ...(options.metricsHost ? { host: options.metricsHost } : {}),
    logger,
    // The status page (/), /probes with history, /events and /badges/*.
    routes: status.routes(() => monitor.contexts.values()),
    isReady: () => !lifecycle.stopping,
  });
  lifecycle.onShutdown('config watcher', () => watched.close());
  lifecycle.onShutdown('experiments (their rollbacks)', () => experiments.stop());
  lifecycle.onShutdown('scheduler', (deadline) => scheduler.stopAll(deadline));
  lifecycle.onShutdown('status page', () => status.close());
  lifecycle.onShutdown('admin server', (deadline) => admin.close(deadline));
  const jobs = scheduler.jobs;
  logger.info(
    {
      metrics_port: admin.port,
      config_file: file,
      location,
      probes: jobs.filter((job) => job.definition.kind === 'probe').length,
      actions: jobs.filter((job) => job.definition.kind === 'action').length,
    },
    'listening',
  );
}
