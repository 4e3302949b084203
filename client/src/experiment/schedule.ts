// `experiments:` in the long-running prober's config: each experiment file runs on its cron schedule,
// one experiment at a time (a second one due meanwhile is skipped and logged). The files are loaded
// when the config is, so a bad experiment refuses the config with file:line:column, like any other
// mistake. On shutdown a running experiment stops its method and runs its rollbacks first.
import type { Logger } from '@sre-stack/runtime';
import type { CronJob } from 'cron';
import { cron } from '../config/cron.ts';
import { grafanaFromEnv } from './grafana.ts';
import { type Experiment, loadExperiment } from './load.ts';
import { runExperiment } from './run.ts';

export interface ScheduledExperimentConfig {
  file: string;
  schedule: string;
  timeZone?: string | undefined;
  probes?: string | undefined;
}

interface Entry {
  config: ScheduledExperimentConfig;
  experiment: Experiment;
  job: CronJob<null, null>;
}

export class ExperimentScheduler {
  private entries: Entry[] = [];
  private running: { title: string; stop: AbortController; done: Promise<unknown> } | undefined;
  private readonly logger: Logger;
  private readonly location: string;

  constructor(options: { logger: Logger; location: string }) {
    this.logger = options.logger;
    this.location = options.location;
  }

  /** Loads every file first (throwing ConfigError on a bad one, changing nothing), then reschedules. */
  async apply(configs: readonly ScheduledExperimentConfig[]): Promise<void> {
    const loaded = [];
    for (const config of configs)
      loaded.push({ config, experiment: await loadExperiment(config.file, config.probes) });
    for (const entry of this.entries) entry.job.stop();
    this.entries = loaded.map(({ config, experiment }) => {
      const entry = { config, experiment } as Entry;
      entry.job = cron().CronJob.from({
        cronTime: config.schedule,
        ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
        start: true,
        onTick: () => this.start(entry),
        errorHandler: (error) => this.logger.error({ err: error }, 'experiment schedule failed'),
      });
      return entry;
    });
  }

  private start(entry: Entry): void {
    const { title } = entry.experiment.config;
    if (this.running) {
      this.logger.warn(
        { experiment: title, running: this.running.title },
        'experiment skipped: another experiment is still running',
      );
      return;
    }
    const stop = new AbortController();
    const done = runExperiment(entry.experiment, {
      logger: this.logger,
      location: this.location,
      signal: stop.signal,
      print: () => {},
      logRuns: true,
      ...(grafanaFromEnv() ? { grafana: grafanaFromEnv() } : {}),
    })
      .catch((error: unknown) => this.logger.error({ err: error, experiment: title }, 'experiment crashed'))
      .finally(() => {
        this.running = undefined;
      });
    this.running = { title, stop, done };
  }

  /** Stops the schedules; a running experiment skips to its rollbacks, which are awaited. */
  async stop(): Promise<void> {
    for (const entry of this.entries) entry.job.stop();
    const running = this.running;
    if (!running) return;
    this.logger.warn({ experiment: running.title }, "shutting down: running the experiment's rollbacks");
    running.stop.abort();
    await running.done;
  }
}
