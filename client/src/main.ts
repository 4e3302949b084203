import {
  CliError,
  ConfigError,
  cli,
  createLifecycle,
  createLogger,
  type Logger,
  parsePort,
  startAdminServer,
  watchConfig,
} from '@sre-stack/runtime';
import { toDefinitions } from './config/definitions.ts';
import { probesFileSchema } from './config/schema.ts';
import { ExperimentScheduler } from './experiment/schedule.ts';
import { Monitor } from './monitor.ts';
import { runOnce } from './once.ts';
import { recordConfigured } from './reporters/metrics.ts';
import { probesRoute } from './reporters/probes-route.ts';
import { routeCronWarnings } from './scheduler/cron-warnings.ts';
import { Scheduler } from './scheduler/scheduler.ts';

const EXIT_CONFIG = 2;

export async function main(argv?: string[]): Promise<void> {
  const args = argv ?? process.argv.slice(2);
  if (args[0] === 'experiment') {
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
        description: 'port of /metrics, /probes, /healthz, /readyz',
        env: 'PROBER_METRICS_PORT',
        default: '9103',
        valueName: 'PORT',
      },
      once: {
        type: 'boolean',
        description: 'run every probe once, print a table, exit 1 if any failed (actions are not run)',
      },
    },
    footer: [
      'Environment:',
      '  PROBER_LOCATION   where this prober runs, on probe_info and every log line (default local)',
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
    process.exit(await runOnce({ file, location }));
  }
  let metricsPort: number;
  try {
    metricsPort = parsePort(options['metrics-port'], '--metrics-port');
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`prober: ${error.message}\nTry 'prober --help'.\n`);
    process.exit(EXIT_CONFIG);
  }
  const logger = createLogger({ service: 'prober' });
  await serve({ file, location, metricsPort, logger });
}

async function serve(options: { file: string; location: string; metricsPort: number; logger: Logger }) {
  const { file, location, logger } = options;
  routeCronWarnings(logger);
  const lifecycle = createLifecycle({ logger });
  const monitor = new Monitor({ logger, location });
  const scheduler = new Scheduler(monitor.createHandler, monitor.clock);
  const experiments = new ExperimentScheduler({ logger, location });
  let watched: Awaited<ReturnType<typeof watchConfig<typeof probesFileSchema>>>;
  try {
    watched = await watchConfig({
      file,
      schema: probesFileSchema,
      logger,
      apply: async (next) => {
        // Experiment files first: a bad one refuses the whole config.
        await experiments.apply(next.experiments);
        const definitions = toDefinitions(next);
        const summary = scheduler.apply(definitions);
        recordConfigured(definitions);
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
    logger,
    routes: { '/probes': probesRoute(() => monitor.contexts.values(), location) },
    isReady: () => !lifecycle.stopping,
  });
  lifecycle.onShutdown('config watcher', () => watched.close());
  lifecycle.onShutdown('experiments (their rollbacks)', () => experiments.stop());
  lifecycle.onShutdown('scheduler', (deadline) => scheduler.stopAll(deadline));
  lifecycle.onShutdown('admin server', () => admin.close());
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
