// directLine writes what logger.info would, without pino's serializer: the same bytes but the time.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, test } from 'node:test';
import { directLine, isoNow } from '../src/direct-line.ts';
import { createLogger } from '../src/logger.ts';

function captured(options: { format?: string; level?: string } = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split(/(?<=\n)/));
      done();
    },
  });
  const logger = createLogger({ service: 'direct "test"', destination: stream, ...options });
  return { logger, lines };
}

const withoutTime = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');

const savedFormat = process.env.LOG_FORMAT;
afterEach(() => {
  if (savedFormat === undefined) delete process.env.LOG_FORMAT;
  else process.env.LOG_FORMAT = savedFormat;
});
delete process.env.LOG_FORMAT;

describe('directLine', () => {
  test("the same line as logger.info, byte for byte but the time, in pino's time format", () => {
    const { logger, lines } = captured();
    const write = directLine(logger, 'request', false);
    assert.ok(write);
    const path = '/a "quoted" \\ path\n\u2028é';
    logger.info({ method: 'GET', path, status: 200, duration_ms: 1.5, flaky: false }, 'request');
    write(`,"method":"GET","path":${JSON.stringify(path)},"status":200,"duration_ms":1.5,"flaky":false`);
    assert.equal(lines.length, 2);
    assert.equal(withoutTime(lines[1] as string), withoutTime(lines[0] as string));
    const parsed = JSON.parse(lines[1] as string) as Record<string, unknown>;
    assert.equal(parsed.path, path);
    assert.match(String(parsed.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('writes nothing when info is below the logger level', () => {
    const { logger, lines } = captured({ level: 'warn' });
    directLine(logger, 'request', false)?.(',"status":200');
    assert.deepEqual(lines, []);
  });

  test('none where only pino can write the line: pretty output, a child logger, records sent over OTLP', () => {
    process.env.LOG_FORMAT = 'pretty';
    assert.equal(directLine(captured().logger, 'request', false), undefined);
    delete process.env.LOG_FORMAT;
    const { logger } = captured();
    assert.equal(directLine(logger.child({ worker: 1 }), 'request', false), undefined);
    assert.equal(directLine(logger, 'request', true), undefined);
  });

  test('isoNow is the current time in ISO form', () => {
    const before = Date.now();
    const parsed = Date.parse(isoNow());
    assert.ok(parsed >= before && parsed <= Date.now(), `${parsed} within [${before}, now]`);
  });
});
