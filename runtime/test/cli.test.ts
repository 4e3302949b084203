import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  CliError,
  type CliOption,
  type CliSpec,
  cli,
  formatHelp,
  parseCliArgs,
  parseDurationOption,
  parsePort,
} from '../src/cli.ts';

const options = {
  port: {
    type: 'string',
    short: 'p',
    description: 'serving port',
    env: 'TEST_CLI_PORT',
    default: '8080',
    valueName: 'PORT',
  },
  config: { type: 'string', description: 'config file', env: 'TEST_CLI_CONFIG', valueName: 'FILE' },
  verbose: { type: 'boolean', short: 'v', description: 'log more', env: 'TEST_CLI_VERBOSE' },
  'dry-run': { type: 'boolean', description: 'check and exit' },
} satisfies Record<string, CliOption>;

const spec = (argv: string[]): CliSpec<typeof options> => ({
  name: 'demo',
  summary: 'a demo service',
  usage: 'demo [options]',
  options,
  argv,
});

const ENV_NAMES = ['TEST_CLI_PORT', 'TEST_CLI_CONFIG', 'TEST_CLI_VERBOSE'];
afterEach(() => {
  for (const name of ENV_NAMES) delete process.env[name];
});

describe('parseCliArgs', () => {
  test('defaults when nothing is given: string default, undefined, booleans false', () => {
    assert.deepEqual(parseCliArgs(spec([])), {
      help: false,
      port: '8080',
      config: undefined,
      verbose: false,
      'dry-run': false,
    });
  });

  test('long and short flags, --flag=value form', () => {
    const values = parseCliArgs(spec(['--port', '9000', '--config=/etc/demo.yaml', '-v', '--dry-run']));
    assert.equal(values.port, '9000');
    assert.equal(values.config, '/etc/demo.yaml');
    assert.equal(values.verbose, true);
    assert.equal(values['dry-run'], true);
    assert.equal(parseCliArgs(spec(['-p', '0'])).port, '0');
  });

  test('environment variables fill in absent flags', () => {
    process.env.TEST_CLI_PORT = '7000';
    process.env.TEST_CLI_CONFIG = 'from-env.yaml';
    const values = parseCliArgs(spec([]));
    assert.equal(values.port, '7000');
    assert.equal(values.config, 'from-env.yaml');
  });

  test('a flag wins over its environment variable', () => {
    process.env.TEST_CLI_PORT = '7000';
    assert.equal(parseCliArgs(spec(['--port', '9000'])).port, '9000');
  });

  test('an empty environment variable counts as unset (Compose writes VAR= for blanks)', () => {
    process.env.TEST_CLI_PORT = '';
    assert.equal(parseCliArgs(spec([])).port, '8080');
  });

  test('boolean environment variables: 1/true/yes/on (any case) are true, anything else false', () => {
    for (const text of ['1', 'true', 'TRUE', 'yes', 'On']) {
      process.env.TEST_CLI_VERBOSE = text;
      assert.equal(parseCliArgs(spec([])).verbose, true, text);
    }
    for (const text of ['0', 'false', 'no', 'off', 'maybe']) {
      process.env.TEST_CLI_VERBOSE = text;
      assert.equal(parseCliArgs(spec([])).verbose, false, text);
    }
  });

  test('--help and -h', () => {
    assert.equal(parseCliArgs(spec(['--help'])).help, true);
    assert.equal(parseCliArgs(spec(['-h'])).help, true);
  });

  test('usage errors are CliErrors that name the problem', () => {
    assert.throws(
      () => parseCliArgs(spec(['--bogus'])),
      (error: unknown) => {
        assert.ok(error instanceof CliError);
        assert.match(error.message, /--bogus/);
        return true;
      },
    );
    assert.throws(() => parseCliArgs(spec(['stray'])), CliError);
    assert.throws(() => parseCliArgs(spec(['--port'])), /--port/);
    assert.throws(() => parseCliArgs(spec(['--verbose=yes'])), CliError);
  });
});

describe('formatHelp', () => {
  test('lists every option with its flag, value name, env variable and default, then --help', () => {
    const help = formatHelp({ ...spec([]), footer: 'Examples:\n  demo --port 0' });
    const lines = help.split('\n');
    assert.equal(lines[0], 'demo - a demo service');
    assert.ok(lines.includes('Usage: demo [options]'));
    assert.ok(lines.includes('Options:'));
    const row = (flag: string) => lines.find((line) => line.trimStart().startsWith(flag)) ?? '';
    assert.match(row('-p, --port PORT'), /serving port \(env TEST_CLI_PORT, default 8080\)$/);
    assert.match(row('--config FILE'), /config file \(env TEST_CLI_CONFIG\)$/);
    assert.match(row('-v, --verbose'), /log more \(env TEST_CLI_VERBOSE\)$/);
    assert.match(row('--dry-run'), /check and exit$/);
    assert.match(row('--help'), /show this help$/);
    // Descriptions line up in one column.
    const column = (flag: string) => row(flag).indexOf(flag.includes('help') ? 'show' : 'serving');
    assert.equal(column('--help'), column('-p, --port PORT'));
    assert.ok(help.endsWith('Examples:\n  demo --port 0'));
  });

  test('a string option without valueName shows VALUE', () => {
    const help = formatHelp({
      name: 'x',
      summary: 's',
      usage: 'x',
      options: { name: { type: 'string', description: 'a name' } },
    });
    assert.match(help, /--name VALUE +a name/);
  });
});

describe('cli', () => {
  // cli() writes and exits; these stubs are in place only for the synchronous call.
  function runCli(argv: string[]) {
    const written = { stdout: '', stderr: '' };
    const exit = process.exit;
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    let code: number | undefined;
    process.exit = ((value?: number) => {
      code = value;
      throw new Error('exit called');
    }) as typeof process.exit;
    process.stdout.write = ((chunk: string) => {
      written.stdout += chunk;
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => {
      written.stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    let values: unknown;
    try {
      values = cli(spec(argv));
    } catch {
      // The stubbed exit throws to stop cli() where a real exit would.
    } finally {
      process.exit = exit;
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
    return { code, values, ...written };
  }

  test('returns the values for a good command line', () => {
    const { code, values } = runCli(['--port', '1234']);
    assert.equal(code, undefined);
    assert.equal((values as { port: string }).port, '1234');
  });

  test('--help prints the help on stdout and exits 0', () => {
    const { code, stdout } = runCli(['--help']);
    assert.equal(code, 0);
    assert.equal(stdout, `${formatHelp(spec([]))}\n`);
  });

  test('a usage error goes to stderr with a hint, exit code 2', () => {
    const { code, stderr, stdout } = runCli(['--nope']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^demo: .*--nope/);
    assert.match(stderr, /Try 'demo --help'\.\n$/);
  });
});

describe('parsePort', () => {
  test('accepts 0 to 65535', () => {
    assert.equal(parsePort('0', '--port'), 0);
    assert.equal(parsePort('8080', '--port'), 8080);
    assert.equal(parsePort('65535', '--port'), 65535);
  });

  test('refuses anything else with a message naming the flag and the value', () => {
    for (const value of [undefined, '', '65536', '-1', '80.5', 'http', ' 80', '0x50', '1e3']) {
      assert.throws(
        () => parsePort(value, '--metrics-port'),
        (error: unknown) =>
          error instanceof CliError &&
          error.message === `--metrics-port must be a port number from 0 to 65535, got "${value}"`,
        String(value),
      );
    }
  });
});

describe('parseDurationOption', () => {
  test('reads a duration flag, and refuses one no timer can wait for', () => {
    assert.equal(parseDurationOption('5s', '--drain-timeout'), 5000);
    assert.throws(() => parseDurationOption('soon', '--drain-timeout'), /must be a duration such as "5s"/);
    // Node fires a timer above 2^31 - 1 ms at once: a 900h drain bound would cut every request.
    assert.throws(
      () => parseDurationOption('900h', '--drain-timeout'),
      (error) =>
        error instanceof CliError && error.message === '--drain-timeout must be at most 596h, got "900h"',
    );
  });
});
