// `prober experiment FILE [--journal FILE] [--probes FILE]`: runs one experiment and exits 0 when the
// hypothesis held, 1 when it deviated, 2 when the experiment could not run (bad file, a control
// endpoint that failed, a failed rollback, Ctrl-C). The report goes to stdout, JSON logs to stderr.
import { parseArgs } from 'node:util';
import { ConfigError, createLifecycle, createLogger, formatHelp } from '@sre-stack/runtime';
import { grafanaFromEnv } from './grafana.ts';
import { type Experiment, loadExperiment } from './load.ts';
import { runExperiment } from './run.ts';

const HELP = {
  name: 'prober experiment',
  summary: 'run one chaos experiment: steady state, fault, rollbacks, verdict',
  usage: 'prober experiment FILE [--journal FILE] [--probes FILE]',
  options: {
    journal: { type: 'string', description: 'write the JSON journal of the run here', valueName: 'FILE' },
    probes: {
      type: 'string',
      description: 'probes file whose probes `probe: NAME` refers to',
      valueName: 'FILE',
    },
  },
  footer: [
    'Exit codes: 0 the hypothesis held; 1 it deviated; 2 the experiment could not run (bad file,',
    'a failed step or rollback, interrupted). Ctrl-C stops the method; the rollbacks still run.',
    '',
    'Environment:',
    '  GRAFANA_URL, GRAFANA_TOKEN   when both are set, the fault window is annotated in Grafana',
    '  LOG_LEVEL                    JSON logs on stderr (default warn; info logs every probe run)',
    '  $' + '{VAR:-default}             substituted in the experiment file, as in the probes file',
  ].join('\n'),
} as const;

export async function experimentCommand(argv: string[]): Promise<number> {
  let values: { journal?: string; probes?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        journal: { type: 'string' },
        probes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`prober experiment: ${(error as Error).message}\nTry 'prober experiment --help'.\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${formatHelp(HELP as never)}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`prober experiment: expected one experiment FILE\nUsage: ${HELP.usage}\n`);
    return 2;
  }
  const file = positionals[0] as string;
  const level = process.env.LOG_LEVEL || 'warn';
  const logger = createLogger({ service: 'prober', destination: process.stderr, level });
  let experiment: Experiment;
  try {
    experiment = await loadExperiment(file, values.probes);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`prober experiment: invalid experiment, nothing was run:\n${error.message}\n`);
    return 2;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stdout.write(
        `\n${signal}: stopping the method; the rollbacks run now (Ctrl-C again to leave them)\n`,
      );
      controller.abort();
    } else {
      process.stderr.write(`${signal} again: exiting without finishing the rollbacks\n`);
      process.exit(2);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const journal = await runExperiment(experiment, {
    logger,
    location: process.env.PROBER_LOCATION?.trim() || 'local',
    signal: controller.signal,
    print: (line) => process.stdout.write(`${line}\n`),
    logRuns: level === 'info' || level === 'debug' || level === 'trace',
    ...(values.journal ? { journalFile: values.journal } : {}),
    ...(grafanaFromEnv() ? { grafana: grafanaFromEnv() } : {}),
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Flushes the experiment's trace before exiting.
  await createLifecycle({ logger, exit: false, drainTimeoutMs: 2000 }).shutdown('experiment finished');
  return journal.exit_code;
}
