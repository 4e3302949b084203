import { createLogger, LineBuffer, type Logger } from '@sre-stack/runtime';
import { type AccessLog, createAccessLog } from './telemetry/access-log.ts';

export interface Loggers {
  logger: Logger;
  /** The access log: the same format and stream, written in batches through the runtime's one stdout buffer, so its lines keep their order with the other logs'. */
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
  const sink = LineBuffer.for(1);
  const pinoAccess = createLogger({
    service,
    destination: sink as unknown as NodeJS.WritableStream,
  });
  const accessLog = createAccessLog({ logger: pinoAccess, logsExported });
  return { logger, accessLog, flush: () => sink.flushSync() };
}
