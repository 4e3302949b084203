// How log lines look. That they carry trace_id/span_id inside a span is proven where the OTel pino
// instrumentation really runs: in telemetry.test.ts, against a child process.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, test } from 'node:test';
import { createLogger, type LoggerOptions } from '../src/logger.ts';

/** Creates a logger writing into memory; `output()` returns what was written so far. */
function captured(options: Omit<LoggerOptions, 'destination'>) {
  // A plain Writable takes each write synchronously, so output() is complete right after a log call.
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const logger = createLogger({ ...options, destination: stream });
  return { logger, output: () => Buffer.concat(chunks).toString('utf8') };
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const ENV_NAMES = ['LOG_FORMAT', 'LOG_LEVEL'] as const;
const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});
// The runner may be started with either variable set; every test decides for itself.
for (const name of ENV_NAMES) delete process.env[name];

describe('createLogger: JSON lines', () => {
  test('one JSON object a line: level as a word, ISO time, service, msg', () => {
    const { logger, output } = captured({ service: 'demo' });
    logger.info({ port: 8080 }, 'listening');
    const text = output();
    assert.ok(text.endsWith('\n'));
    const lines = jsonLines(text);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.deepEqual(Object.keys(line ?? {}), ['level', 'time', 'service', 'port', 'msg']);
    assert.equal(line?.level, 'info');
    assert.equal(line?.service, 'demo');
    assert.equal(line?.port, 8080);
    assert.equal(line?.msg, 'listening');
    const time = String(line?.time);
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(new Date(time).toISOString(), time);
  });

  test('no pid or hostname: Loki labels the stream with those already', () => {
    const { logger, output } = captured({ service: 'demo' });
    logger.info('x');
    const [line] = jsonLines(output());
    assert.equal('pid' in (line ?? {}), false);
    assert.equal('hostname' in (line ?? {}), false);
  });

  test('every level is written as its name', () => {
    const { logger, output } = captured({ service: 'demo', level: 'trace' });
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    assert.deepEqual(
      jsonLines(output()).map((line) => line.level),
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    );
  });

  test('the default level is info', () => {
    const { logger, output } = captured({ service: 'demo' });
    logger.debug('hidden');
    logger.info('shown');
    assert.deepEqual(
      jsonLines(output()).map((line) => line.msg),
      ['shown'],
    );
  });

  test('LOG_LEVEL overrides the level option', () => {
    process.env.LOG_LEVEL = 'warn';
    const { logger, output } = captured({ service: 'demo', level: 'debug' });
    logger.info('hidden');
    logger.warn('shown');
    assert.deepEqual(
      jsonLines(output()).map((line) => line.msg),
      ['shown'],
    );
  });

  test('errors are serialized with type, message and stack', () => {
    const { logger, output } = captured({ service: 'demo' });
    logger.error({ err: new TypeError('bad thing') }, 'failed');
    const [line] = jsonLines(output());
    const err = line?.err as Record<string, string>;
    assert.equal(err.type, 'TypeError');
    assert.equal(err.message, 'bad thing');
    assert.match(err.stack ?? '', /TypeError: bad thing\n\s+at /);
  });

  test('child loggers add their bindings to every line', () => {
    const { logger, output } = captured({ service: 'demo' });
    logger.child({ probe: 'homepage' }).info('ran');
    const [line] = jsonLines(output());
    assert.equal(line?.service, 'demo');
    assert.equal(line?.probe, 'homepage');
  });
});

describe('createLogger: pretty format, for people', () => {
  test('format "pretty" writes readable lines, not JSON', () => {
    const { logger, output } = captured({ service: 'demo', format: 'pretty' });
    logger.info({ port: 8080 }, 'listening');
    const text = output();
    assert.throws(() => JSON.parse(text.split('\n')[0] ?? ''));
    assert.match(text, /INFO/);
    assert.match(text, /listening/);
    assert.match(text, /port: 8080/);
  });

  test('LOG_FORMAT=pretty overrides the format option', () => {
    process.env.LOG_FORMAT = 'pretty';
    const { logger, output } = captured({ service: 'demo', format: 'json' });
    logger.warn('careful');
    const text = output();
    assert.match(text, /WARN/);
    assert.match(text, /careful/);
    assert.ok(!text.trimStart().startsWith('{'));
  });

  test('LOG_FORMAT=json overrides a pretty option', () => {
    process.env.LOG_FORMAT = 'json';
    const { logger, output } = captured({ service: 'demo', format: 'pretty' });
    logger.info('machine readable');
    assert.equal(jsonLines(output())[0]?.msg, 'machine readable');
  });

  test('pretty output leaves out pid, hostname and service, and keeps the time', () => {
    const { logger, output } = captured({ service: 'demo-service-name', format: 'pretty' });
    logger.info('hello');
    const text = output();
    assert.doesNotMatch(text, /demo-service-name/);
    assert.doesNotMatch(text, new RegExp(`\\b${process.pid}\\b`));
    assert.match(text, /\d\d:\d\d:\d\d/);
  });
});
