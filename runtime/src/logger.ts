import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { registerJsonLogger } from './direct-line.ts';
import { LineBuffer } from './line-buffer.ts';

// pino at the first createLogger, pino-pretty (and its thirty modules) only for LOG_FORMAT=pretty: a
// command that logs nothing (--check) loads neither. Both are CommonJS, so require() takes them
// synchronously, as createLogger must; the pino instrumentation patches a require() as it does an import.
const require = createRequire(import.meta.url);

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** `json` (default) or `pretty`; LOG_FORMAT overrides. */
  format?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

/**
 * JSON lines on stdout, one object a line, levels as words so Loki and humans read them alike.
 * trace_id and span_id are added by the OTel pino instrumentation inside a span.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pino = require('pino') as typeof import('pino').default;
  const format = process.env.LOG_FORMAT ?? options.format ?? 'json';
  const level = process.env.LOG_LEVEL ?? options.level ?? 'info';
  const base = { service: options.service };
  const common = {
    level,
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'pretty') {
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    const stream = pretty({
      sync: true,
      colorize: process.stdout.isTTY,
      ignore: 'pid,hostname,service',
      destination: options.destination ?? 1,
    });
    return pino(common, stream);
  }
  // Lines of one event-loop turn go out in one write (line-buffer.ts), not one write() per line.
  const stream = options.destination ?? LineBuffer.for(1);
  const logger = pino(common, stream as Writable);
  registerJsonLogger(logger, stream, options.service);
  return logger;
}
