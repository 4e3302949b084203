// The status page as main.ts sees it: a run hook for the Monitor, a step of each config apply (history file,
// what survives a reload), the routes for the metrics listener, and a final save at shutdown.
import type { Logger } from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import type { ProbesFile } from '../config/schema.ts';
import type { ProbeContext } from '../monitor.ts';
import type { Transition } from '../reporters/state.ts';
import type { Definition, RunResult } from '../types.ts';
import { HistoryStore } from './history.ts';
import { HistoryFileError, loadHistory, saveHistory } from './persist.ts';
import { type StatusRoutes, statusRoutes } from './routes.ts';

export interface StatusPageOptions {
  logger: Logger;
  location: string;
  clock?: Clock;
  /** GRAFANA_URL: where links to Explore (Tempo, Loki) point; none when unset. */
  grafanaUrl?: string | undefined;
}

export class StatusPage {
  readonly history = new HistoryStore();
  readonly #options: StatusPageOptions;
  readonly #clock: Clock;
  #configured = false;
  /** The file being written; undefined when none is configured or it was refused. */
  #file: string | undefined;
  #requestedFile: string | undefined;
  #saveTimer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();
  #routes: StatusRoutes | undefined;

  constructor(options: StatusPageOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Monitor's onResult. */
  readonly record = (definition: Definition, result: RunResult, transition: Transition | undefined): void => {
    this.history.record(definition, result, transition);
  };

  /** Called with every config that is about to be applied, before the scheduler starts its jobs. */
  configure(config: ProbesFile['history'], definitions: readonly Definition[]): void {
    const { logger } = this.#options;
    if (!this.#configured) {
      this.#configured = true;
      this.#open(config);
    } else if (config?.file !== this.#requestedFile) {
      logger.warn({ history_file: config?.file ?? null }, 'history.file changes apply at the next restart');
    }
    const summary = this.history.retain(definitions);
    if (summary.reset.length + summary.dropped.length > 0) {
      logger.info(
        { reset: summary.reset, dropped: summary.dropped },
        'status page history follows the config',
      );
    }
  }

  routes(contexts: () => Iterable<ProbeContext>): StatusRoutes['routes'] {
    this.#routes ??= statusRoutes(
      {
        contexts,
        history: this.history,
        location: this.#options.location,
        now: this.#clock.now,
        grafanaUrl: this.#options.grafanaUrl,
      },
      this.#options.logger,
    );
    return this.#routes.routes;
  }

  /** Writes the file a last time (when there is one) and ends the event streams. */
  async close(): Promise<void> {
    clearInterval(this.#saveTimer);
    this.#routes?.close();
    if (this.#file) await this.save();
  }

  save(): Promise<void> {
    const file = this.#file;
    if (!file) return Promise.resolve();
    this.#saving = this.#saving.then(() =>
      saveHistory(this.history, file, this.#clock.now()).catch((error: unknown) => {
        this.#options.logger.error({ history_file: file, err: error }, 'could not write the history file');
      }),
    );
    return this.#saving;
  }

  #open(config: ProbesFile['history']): void {
    const { logger } = this.#options;
    this.#requestedFile = config?.file;
    if (!config?.file) return;
    try {
      const loaded = loadHistory(this.history, config.file, this.#clock.now());
      logger.info(
        { history_file: config.file, probes: this.history.probes.size },
        loaded ? 'history loaded' : 'history file not there yet: it is written from now on',
      );
    } catch (error) {
      if (!(error instanceof HistoryFileError)) throw error;
      // Someone else's file, or a damaged one: leave it as it is, keep history in memory only.
      logger.error(
        { history_file: config.file },
        `${error.message}; refusing it and keeping history in memory only (the file is left untouched)`,
      );
      return;
    }
    this.#file = config.file;
    this.#saveTimer = setInterval(() => void this.save(), config.saveEvery).unref();
  }
}
