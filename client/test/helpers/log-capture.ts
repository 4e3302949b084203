import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@sre-stack/runtime';

/** A JSON logger whose lines the test can read back. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service: 'prober-test', format: 'json', destination }), lines };
}
