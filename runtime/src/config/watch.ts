import { type FSWatcher, unwatchFile, watch as watchDirectory, watchFile } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ZodType, z } from 'zod';
import { gauge } from '../metrics.ts';
import { ConfigError, type ParseOptions, parseConfigText, readConfigText } from './load.ts';
import { parseInChildProcess, type SchemaSource } from './parse-child.ts';

const reloadSuccessful = gauge(
  'config_last_reload_successful',
  'Whether the last configuration load or reload succeeded (1) or was refused (0).',
);
const reloadSuccessTime = gauge(
  'config_last_reload_success_timestamp_seconds',
  'Unix time of the last successful configuration load or reload.',
);

/**
 * Reloads of files larger than this parse in a child process. Smaller ones parse in tens of
 * milliseconds on the main thread, less than starting a process would cost.
 */
export const OFF_THREAD_PARSE_CHARS = 64 * 1024;

/** How long a config file may be gone (an editor saving by rename) before that is logged. */
const MISSING_GRACE_MS = 1000;

export interface WatchedConfigOptions<S extends ZodType> {
  file: string;
  schema: S;
  logger: Logger;
  /** Applies a new config. It must apply all of it or throw, leaving the old one in force. */
  apply: (next: z.output<S>, previous: z.output<S> | undefined) => void | Promise<void>;
  parse?: ParseOptions;
  /**
   * The module and export of `schema`. Given, reloads of large files (over OFF_THREAD_PARSE_CHARS) parse
   * and validate in a child process, so a large
   * file never stalls serving (the first load, before serving, stays on the main thread).
   */
  schemaSource?: SchemaSource;
  /** Stat polling as well as inotify: bind mounts from other hosts (Docker Desktop) emit no events. */
  pollIntervalMs?: number;
  debounceMs?: number;
  /** Also reload on SIGHUP (the default). */
  sighup?: boolean;
}

export interface WatchedConfig<T> {
  readonly current: T;
  /** Reads the file again; resolves true when a new config is in force. */
  reload(reason?: string): Promise<boolean>;
  close(): void;
}

/**
 * Loads a config, applies it, and keeps it current: on file change and on SIGHUP it loads the file
 * again and applies it if valid. A broken file is refused with its positions, and the last good
 * config keeps running. The first load throws ConfigError, so a service never starts on bad config.
 */
export async function watchConfig<S extends ZodType>(
  options: WatchedConfigOptions<S>,
): Promise<WatchedConfig<z.output<S>>> {
  const file = resolve(options.file);
  const { logger } = options;
  let current: z.output<S> | undefined;
  let lastText: string | undefined;
  /** The file is gone: 'checking' until the recheck a second later, then 'said' once logged. */
  let gone: 'checking' | 'said' | undefined;
  let lastUnreadable: string | undefined;
  let recheck: NodeJS.Timeout | undefined;
  let queue: Promise<boolean> = Promise.resolve(true);

  async function load(reason: string, force: boolean): Promise<boolean> {
    let read = false;
    try {
      // A file over the size limit is refused here, before it is even read.
      const text = await readConfigText(options.file, options.parse?.limits);
      read = true;
      gone = undefined;
      lastUnreadable = undefined;
      if (!force && text === lastText) return false;
      lastText = text;
      // Valid at startup (every service has defaults), but on a reload almost always a save caught
      // halfway or a truncated file: applying it would drop every route or probe, and their history.
      if (current !== undefined && holdsNothing(text)) throw emptyFile(options.file);
      const next =
        current !== undefined && options.schemaSource && text.length > OFF_THREAD_PARSE_CHARS
          ? await parseInChildProcess<S>(text, options.file, options.schemaSource, options.parse)
          : parseConfigText(text, options.file, options.schema, options.parse);
      await options.apply(next, current);
      const first = current === undefined;
      current = next;
      reloadSuccessful.set(1);
      reloadSuccessTime.set(Date.now() / 1000);
      if (!first) logger.info({ config_file: options.file, reason }, 'config reloaded');
      return true;
    } catch (error) {
      // Editors that save by rename briefly leave no file; the next event brings it back. A file still
      // gone a second later is said once, and the last good config runs on.
      if (current !== undefined && (error as { code?: string }).code === 'ENOENT') {
        if (gone === undefined) {
          gone = 'checking';
          recheck = setTimeout(() => void enqueue('file changed', false).catch(() => {}), MISSING_GRACE_MS);
          recheck.unref();
        } else if (gone === 'checking') {
          gone = 'said';
          logger.warn({ config_file: options.file }, 'config file not found, keeping the last good config');
        }
        return false;
      }
      reloadSuccessful.set(0);
      if (current === undefined) throw error;
      // A file that cannot be read (a pipe, a device) is refused at its watch event and again at its
      // poll: said once. (A file read and refused is said once anyway: its text is already the last.)
      const message = (error as Error).message;
      if (!read && !force && message === lastUnreadable) return false;
      lastUnreadable = read ? undefined : message;
      const issues = error instanceof ConfigError ? error.issues : undefined;
      logger.error(
        { config_file: options.file, reason, issues, err: issues ? undefined : error },
        `config reload refused, keeping the last good config: ${(error as Error).message}`,
      );
      return false;
    }
  }

  // One load at a time, in order: a slow apply must not interleave with the next change.
  const enqueue = (reason: string, force: boolean) => {
    queue = queue.then(
      () => load(reason, force),
      () => load(reason, force),
    );
    return queue;
  };

  await enqueue('startup', true);

  let timer: NodeJS.Timeout | undefined;
  const debounced = (reason: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => void enqueue(reason, false).catch(() => {}), options.debounceMs ?? 100);
  };
  let directoryWatcher: FSWatcher | undefined;
  try {
    directoryWatcher = watchDirectory(dirname(file), (_event, name) => {
      if (name === null || name === basename(file)) debounced('file changed');
    });
    directoryWatcher.on('error', () => directoryWatcher?.close());
  } catch {
    // No inotify (some container filesystems): polling below still works.
  }
  const poll = () => debounced('file changed');
  watchFile(file, { interval: options.pollIntervalMs ?? 1000, persistent: false }, poll);
  const onSighup = () => void enqueue('SIGHUP', true).catch(() => {});
  if (options.sighup !== false) process.on('SIGHUP', onSighup);

  return {
    get current() {
      return current as z.output<S>;
    },
    reload: (reason = 'requested') => enqueue(reason, true),
    close() {
      clearTimeout(timer);
      clearTimeout(recheck);
      directoryWatcher?.close();
      unwatchFile(file, poll);
      process.off('SIGHUP', onSighup);
    },
  };
}

/** A line YAML reads as nothing: blank, a comment, or a document marker. */
const NOTHING = /^\s*(#.*)?$|^(---|\.\.\.)(\s+#.*)?\s*$/;

/** Empty, or only comments and markers (a file cut down to its schema comment): no document at all. */
function holdsNothing(text: string): boolean {
  return text.split('\n').every((line) => NOTHING.test(line));
}

function emptyFile(file: string): ConfigError {
  return new ConfigError([
    {
      file,
      line: 1,
      column: 1,
      path: '',
      message: 'the file holds no settings (it is empty, or only comments); a reload never applies that',
    },
  ]);
}
