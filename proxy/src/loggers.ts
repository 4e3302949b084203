import { createLogger, type Logger } from '@sre-stack/runtime';
import { type AccessLog, createAccessLog } from './telemetry/access-log.ts';
import { LineBuffer } from './telemetry/line-buffer.ts';

export interface Loggers {
  logger: Logger;
  /** The access log: the same format and stream, written in batches (see telemetry/line-buffer.ts). */
  accessLog: AccessLog;
  flush(): void;
}

let logsExported = false;

/** Whether log records also leave over OTLP; set once at startup from the telemetry bootstrap. */
export function setLogsExported(on: boolean): void {
  logsExported = on;
}

export function createLoggers(service = 'proxy'): Loggers {
  const logger = createLogger({ service });
  const sink = new LineBuffer(1);
  const pinoAccess = createLogger({
    service,
    destination: sink as unknown as NodeJS.WritableStream,
  });
  const accessLog = createAccessLog({ logger: pinoAccess, sink, logsExported, service });
  return { logger, accessLog, flush: () => sink.flushSync() };
}
