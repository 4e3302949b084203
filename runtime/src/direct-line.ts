// Lines in the logger's JSON shape, written without pino. At thousands of requests a second, pino's
// generic serializer (a walk over each object's keys, a mixin call, the time formatted per line) is a
// visible share of a request's cost. An access log has a fixed shape, so its caller can write the fields
// as JSON itself; this module adds what pino would put around them and writes to the logger's stream.
import type { Logger } from 'pino';

interface JsonDestination {
  stream: { write(line: string): unknown };
  /** `{"level":"info","time":"`, then the time, then this: `","service":"name"`. */
  serviceField: string;
}

const jsonDestinations = new WeakMap<Logger, JsonDestination>();

/** Called by createLogger for a JSON logger: where its lines go, and its fixed fields. */
export function registerJsonLogger(logger: Logger, stream: JsonDestination['stream'], service: string): void {
  jsonDestinations.set(logger, { stream, serviceField: `","service":${JSON.stringify(service)}` });
}

/** Writes one `info` line; `fields` is already JSON: `,"key":value` pairs, in the order they appear. */
export type DirectLine = (fields: string) => void;

const INFO = 30;

/**
 * A writer of `info` lines with the message `msg`, byte for byte what `logger.info({...}, msg)` writes
 * for the same fields: `{"level":"info","time":"…","service":"…",<fields>,"msg":"…"}`. Undefined when
 * the logger is not a JSON logger made by createLogger (pretty output, a child logger), or when log
 * records also leave over OTLP, which only pino's path produces: the caller then logs through pino.
 */
export function directLine(logger: Logger, msg: string, logsExported: boolean): DirectLine | undefined {
  const destination = jsonDestinations.get(logger);
  if (!destination || logsExported) return undefined;
  const { stream, serviceField } = destination;
  const tail = `,"msg":${JSON.stringify(msg)}}\n`;
  return (fields) => {
    if (logger.levelVal <= INFO)
      stream.write(`{"level":"info","time":"${isoNow()}${serviceField}${fields}${tail}`);
  };
}

let lastMs = 0;
let lastIso = '';

/** The time as pino's isoTime writes it, formatted at most once per millisecond. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
