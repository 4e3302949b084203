// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { duration } from '../src/config/duration.ts';
import {
  ConfigError,
  type ConfigIssue,
  configPath,
  formatIssue,
  formatPath,
  loadConfigFile,
  parseConfigText,
  regularFile,
} from '../src/config/load.ts';
import { movedField } from '../src/config/moved.ts';

const schema = z.strictObject({
  name: z.string(),
  listen: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int() }),
  debug: z.boolean().default(false),
  paths: z.array(z.strictObject({ path: z.string(), timeout: duration() })).default([]),
  certificate: configPath().optional(),
});

/** The single issue a bad config text produces (fails if it parses, or if there are several). */
function issueOf(text: string, env: Record<string, string> = {}): ConfigIssue {
  const issues = issuesOf(text, env);
  assert.equal(issues.length, 1, `expected one issue, got: ${issues.map(formatIssue).join(' | ')}`);
  return issues[0] as ConfigIssue;
}

function issuesOf(text: string, env: Record<string, string> = {}): ConfigIssue[] {
  try {
    parseConfigText(text, 'demo.yaml', schema, { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('the config was accepted');
}

/** line:column of an issue, for compact assertions. */
const where = (issue: ConfigIssue) => `${issue.line}:${issue.column}`;

const good = `
name: demo
listen:
  port: 8080
paths:
  - path: /a
    timeout: 500ms
  - path: /b
    timeout: 1m30s
`;

describe('parseConfigText: valid files', () => {
  test('returns the validated value, with defaults and durations in milliseconds', () => {
    assert.deepEqual(parseConfigText(good, 'demo.yaml', schema, { env: {} }), {
      name: 'demo',
      listen: { host: '127.0.0.1', port: 8080 },
      debug: false,
      paths: [
        { path: '/a', timeout: 500 },
        { path: '/b', timeout: 90_000 },
      ],
    });
  });

  test('an empty file is an empty document, so only required fields are reported', () => {
    const issues = issuesOf('');
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['name', 'listen'],
    );
    for (const issue of issues) assert.equal(where(issue), '1:1');
  });

  test('anchors and aliases work', () => {
    const config = parseConfigText(
      'name: &n demo\nlisten: {port: 1}\npaths:\n  - {path: *n, timeout: 1s}\n',
      'demo.yaml',
      schema,
      { env: {} },
    );
    assert.equal(config.paths[0]?.path, 'demo');
  });
});

describe('parseConfigText: every problem is located as file:line:column and field path', () => {
  test('the message format is file:line:column: path: message', () => {
    const issue = issueOf('name: demo\nlisten:\n  port: high\n');
    assert.deepEqual(issue, {
      file: 'demo.yaml',
      line: 3,
      column: 9,
      path: 'listen.port',
      message: 'expected a number, not the text "high"',
    });
    assert.throws(() => parseConfigText('name: demo\nlisten:\n  port: high\n', 'demo.yaml', schema), {
      name: 'ConfigError',
      message: 'demo.yaml:3:9: listen.port: expected a number, not the text "high"',
    });
  });

  test('YAML syntax error: where the parser stopped, no field path', () => {
    const issue = issueOf('name: demo\nlisten:\n  port: 1\n bad: x\n');
    assert.equal(where(issue), '4:1');
    assert.equal(issue.path, '');
    assert.equal(
      issue.message,
      '"bad" does not line up with the keys above it: indent it like them (spaces), or start a new list item with "- "',
    );
    // An unclosed quote is noticed at the end of the text; the fix is where it opens.
    const quote = issueOf('name: "unterminated\nlisten: 1\n');
    assert.equal(where(quote), '1:7');
    assert.equal(quote.message, 'this " quote is never closed: add the closing "');
    assert.equal(where(issuesOf('- a\nb: 1\n')[0] as ConfigIssue), '2:1');
  });

  test('tabs as indentation are a syntax error on their line', () => {
    const issue = issueOf('name: demo\nlisten:\n\tport: 1\n');
    assert.equal(issue.line, 3);
    assert.equal(issue.message, 'a tab in the indentation: YAML indents with spaces only');
  });

  test('a duplicate key points at the second occurrence', () => {
    const issue = issueOf('name: demo\nlisten:\n  port: 1\n  port: 2\n');
    assert.equal(where(issue), '4:3');
    assert.equal(issue.message, '"port" is given twice in the same block: keep one');
  });

  test('a value of the wrong type points at the value', () => {
    const issue = issueOf('name: demo\nlisten: {port: 1}\ndebug: "yes"\n');
    assert.equal(where(issue), '3:8');
    assert.equal(issue.path, 'debug');
    assert.equal(issue.message, 'expected true or false, not the text "yes"');
  });

  test('a missing required field points at the object that lacks it', () => {
    const issue = issueOf('name: demo\nlisten:\n  host: 0.0.0.0\n');
    assert.equal(issue.path, 'listen.port');
    assert.equal(where(issue), '3:3');
    assert.equal(issue.message, 'missing: expected a number');
  });

  test('a missing field inside a list item points at that item', () => {
    const issue = issueOf(
      'name: demo\nlisten: {port: 1}\npaths:\n  - path: /a\n    timeout: 1s\n  - path: /b\n',
    );
    assert.equal(issue.path, 'paths[1].timeout');
    assert.equal(where(issue), '6:5');
  });

  test('an unknown key points at the key itself and names it', () => {
    const issue = issueOf('name: demo\nlisten:\n  port: 1\n  prot: 2\n');
    assert.equal(issue.path, 'listen.prot');
    assert.equal(where(issue), '4:3');
    assert.equal(issue.message, 'unknown field "prot"');
  });

  test('a moved key is one issue at the key itself, naming where it went, whatever its value', () => {
    const moved = z.strictObject({
      name: z.string().optional(),
      retries: movedField('moved: write policies.retry.count instead'),
    });
    const at = (text: string) => {
      try {
        parseConfigText(text, 'demo.yaml', moved);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.issues.map((issue) => `${where(issue)} ${issue.path}: ${issue.message}`);
      }
      return [];
    };
    const expected = ['2:1 retries: moved: write policies.retry.count instead'];
    assert.deepEqual(at('name: a\nretries:\n  count: 3\n'), expected, 'a block mapping');
    assert.deepEqual(at('name: a\nretries: { count: 3 }\n'), expected, 'a flow mapping');
    assert.deepEqual(at('name: a\nretries:\n'), expected, 'no value');
    assert.deepEqual(at('name: a\n'), [], 'absent: nothing to say');
    assert.deepEqual(
      (z.toJSONSchema(moved, { io: 'input' }) as { properties: Record<string, unknown> }).properties.retries,
      { description: 'moved: write policies.retry.count instead', deprecated: true, not: {} },
      'editors flag it too',
    );
  });

  test('several unknown keys are one issue each', () => {
    const issues = issuesOf('name: demo\nlisten: {port: 1}\nextra1: 1\nextra2: 2\n');
    assert.deepEqual(
      issues.map((issue) => `${where(issue)} ${issue.path}`),
      ['3:1 extra1', '4:1 extra2'],
    );
  });

  test('array items have index paths: paths[1].timeout', () => {
    const issue = issueOf(
      'name: demo\nlisten: {port: 1}\npaths:\n  - path: /a\n    timeout: 1s\n  - path: /b\n    timeout: soon\n',
    );
    assert.equal(issue.path, 'paths[1].timeout');
    assert.equal(where(issue), '7:14');
    assert.equal(issue.message, 'write a duration like 3s, 500ms or 1m30s, not "soon"');
  });

  test('all problems are reported at once, in document order', () => {
    const issues = issuesOf('name: 1\nlisten:\n  port: x\ndebug: 2\n');
    assert.deepEqual(
      issues.map((issue) => `${where(issue)} ${issue.path}`),
      ['1:7 name', '3:9 listen.port', '4:8 debug'],
    );
  });

  test('an alias without an anchor is located, not thrown as a bare error', () => {
    const issue = issueOf('name: *nowhere\nlisten: {port: 1}\n');
    assert.equal(where(issue), '1:7');
    assert.equal(issue.path, 'name');
    assert.match(issue.message, /alias \*nowhere has no anchor/);
  });

  test('an alias bomb is refused as a ConfigError', () => {
    const ten = (name: string) => `[${Array(10).fill(name).join(', ')}]`;
    const bomb = `a: &a ${ten('x')}\nb: &b ${ten('*a')}\nc: &c ${ten('*b')}\nd: ${ten('*c')}\n`;
    assert.match(issueOf(bomb).message, /Excessive alias count/);
  });
});

describe('parseConfigText: ${VAR} substitution', () => {
  test('an unquoted substitution is typed as YAML would type the value written there', () => {
    const text = 'name: ${NAME:-demo}\nlisten:\n  port: ${PORT:-8080}\ndebug: ${DEBUG:-false}\n';
    const config = parseConfigText(text, 'demo.yaml', schema, { env: {} });
    assert.equal(config.name, 'demo');
    assert.equal(config.listen.port, 8080);
    assert.equal(config.debug, false);
    const fromEnv = parseConfigText(text, 'demo.yaml', schema, {
      env: { PORT: '9090', DEBUG: 'true', NAME: 'from env' },
    });
    assert.deepEqual([fromEnv.listen.port, fromEnv.debug, fromEnv.name], [9090, true, 'from env']);
  });

  test('a number with a leading zero from the environment is still a number', () => {
    const config = parseConfigText('name: d\nlisten:\n  port: ${PORT}\n', 'demo.yaml', schema, {
      env: { PORT: '08080' },
    });
    assert.equal(config.listen.port, 8080);
  });

  test('a quoted substitution stays a string', () => {
    const issue = issueOf('name: demo\nlisten:\n  port: "${PORT:-8080}"\n');
    assert.equal(issue.path, 'listen.port');
    assert.equal(where(issue), '3:9');
    assert.equal(issue.message, 'expected a number, not the text "8080"');
    const config = parseConfigText("name: '${N:-007}'\nlisten: {port: 1}\n", 'demo.yaml', schema, {
      env: {},
    });
    assert.equal(config.name, '007');
  });

  test('text around a substitution keeps the value a string', () => {
    const config = parseConfigText('name: v${N:-1}\nlisten: {port: 1}\n', 'demo.yaml', schema, { env: {} });
    assert.equal(config.name, 'v1');
  });

  test('$$ escapes a dollar in a value', () => {
    const config = parseConfigText('name: cost $$5\nlisten: {port: 1}\n', 'demo.yaml', schema, { env: {} });
    assert.equal(config.name, 'cost $5');
  });

  test('keys are never substituted', () => {
    const issue = issueOf('name: demo\nlisten: {port: 1}\n${KEY}: x\n', { KEY: 'debug' });
    assert.equal(issue.message, 'unknown field "${KEY}"');
  });

  test('substitution inside list items', () => {
    const config = parseConfigText(
      'name: demo\nlisten:\n  port: ${PORT}\npaths:\n  - path: ${P}\n    timeout: ${T:-2s}\n',
      'demo.yaml',
      schema,
      { env: { PORT: '1', P: '/x' } },
    );
    assert.deepEqual(config.paths, [{ path: '/x', timeout: 2000 }]);
    assert.equal(config.listen.port, 1);
  });

  test('inside a flow collection { } the braces of ${VAR} are YAML syntax: quote it there', () => {
    assert.match(issuesOf('name: demo\nlisten: {port: ${PORT}}\n', { PORT: '1' })[0]?.message ?? '', /flow/);
    const config = parseConfigText(
      'name: demo\nlisten: {port: 1}\npaths: [{path: "${P}", timeout: 1s}]\n',
      'demo.yaml',
      schema,
      {
        env: { P: '/x' },
      },
    );
    assert.equal(config.paths[0]?.path, '/x');
  });

  test('a required variable that is missing is located at its value, with its field path', () => {
    const issue = issueOf(
      'name: demo\nlisten: {port: 1}\npaths:\n  - path: /a\n    timeout: 1s\n  - path: ${API_PATH:?set the path}\n    timeout: 1s\n',
    );
    assert.equal(issue.path, 'paths[1].path');
    assert.equal(where(issue), '6:11');
    assert.equal(issue.message, 'required variable API_PATH is missing a value: set the path');
  });

  test('a malformed substitution is a located error', () => {
    const issue = issueOf('name: ${NAME\nlisten: {port: 1}\n');
    assert.equal(where(issue), '1:7');
    assert.equal(issue.path, 'name');
    assert.match(issue.message, /unclosed/);
  });

  test('process.env is used when no env is given', () => {
    process.env.RUNTIME_TEST_NAME = 'from process env';
    try {
      const config = parseConfigText('name: ${RUNTIME_TEST_NAME}\nlisten: {port: 1}\n', 'demo.yaml', schema);
      assert.equal(config.name, 'from process env');
    } finally {
      delete process.env.RUNTIME_TEST_NAME;
    }
  });
});

describe('configPath', () => {
  const text = (certificate: string) => `name: demo\nlisten: {port: 1}\ncertificate: ${certificate}\n`;

  test("a relative path resolves against the config file's directory, not the working directory", () => {
    const config = parseConfigText(text('certs/server.pem'), '/etc/demo/demo.yaml', schema, { env: {} });
    assert.equal(config.certificate, '/etc/demo/certs/server.pem');
    const parent = parseConfigText(text('../tls/ca.pem'), '/etc/demo/demo.yaml', schema, { env: {} });
    assert.equal(parent.certificate, '/etc/tls/ca.pem');
  });

  test('a relative file name resolves against the working directory, like the file itself', () => {
    const config = parseConfigText(text('server.pem'), 'demo.yaml', schema, { env: {} });
    assert.equal(config.certificate, resolve('server.pem'));
  });

  test('an absolute path is kept', () => {
    const config = parseConfigText(text('/srv/tls/server.pem'), '/etc/demo/demo.yaml', schema, { env: {} });
    assert.equal(config.certificate, '/srv/tls/server.pem');
  });

  test('baseDir overrides the folder', () => {
    const config = parseConfigText(text('server.pem'), '/etc/demo/demo.yaml', schema, {
      env: {},
      baseDir: '/opt/base',
    });
    assert.equal(config.certificate, '/opt/base/server.pem');
  });

  test('outside a config load it resolves against the working directory', () => {
    assert.equal(configPath().parse('x.pem'), resolve('x.pem'));
  });

  test('an empty path is an error', () => {
    assert.equal(issueOf(text('""')).path, 'certificate');
  });
});

describe('loadConfigFile', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runtime-config-load-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('reads, substitutes, validates and resolves paths against the file', async () => {
    const file = join(directory, 'demo.yaml');
    await writeFile(file, 'name: ${N:-demo}\nlisten: {port: 1}\ncertificate: tls/cert.pem\n');
    const config = await loadConfigFile(file, schema, { env: {} });
    assert.equal(config.name, 'demo');
    assert.equal(config.certificate, join(directory, 'tls/cert.pem'));
  });

  test('errors carry the file name as given', async () => {
    const file = join(directory, 'bad.yaml');
    await writeFile(file, 'name: demo\nlisten: {port: x}\n');
    await assert.rejects(loadConfigFile(file, schema), {
      name: 'ConfigError',
      message: `${file}:2:16: listen.port: expected a number, not the text "x"`,
    });
  });

  test('a missing file is a ConfigError that says so', async () => {
    const file = join(directory, 'nope.yaml');
    await assert.rejects(loadConfigFile(file, schema), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${file}:1:1: file not found`);
      return true;
    });
  });

  test('a directory instead of a file is a ConfigError too', async () => {
    await assert.rejects(loadConfigFile(directory, schema), {
      name: 'ConfigError',
      message: `${directory}:1:1: this is a directory, not a file`,
    });
  });

  test('a named pipe is refused without waiting for a writer', async () => {
    const fifo = join(directory, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO to read would wait for a writer forever; reading one would wait for its end.
    await assert.rejects(loadConfigFile(fifo, schema), {
      name: 'ConfigError',
      message: `${fifo}:1:1: this is a named pipe, not a regular file`,
    });
  });

  test('regularFile(): a file a config names must be a regular file, located at its value', async () => {
    const fifo = join(directory, 'ca.pem');
    execFileSync('mkfifo', [fifo]);
    const files = z.strictObject({ ca: regularFile(), history: regularFile({ mayBeMissing: true }) });
    const file = join(directory, 'files.yaml');
    const check = (text: string) => parseConfigText(text, file, files);
    // A pipe would block the thread that reads it; a directory would fail later, without a position.
    assert.throws(() => check('ca: ca.pem\nhistory: later.json\n'), {
      message: `${file}:1:5: ca: this is a named pipe, not a regular file`,
    });
    assert.throws(() => check(`ca: ${directory}\nhistory: ca.pem\n`), {
      message: `${file}:1:5: ca: this is a directory, not a file\n${file}:2:10: history: this is a named pipe, not a regular file`,
    });
    assert.throws(() => check('ca: nope.pem\nhistory: h.json\n'), {
      message: `${file}:1:5: ca: file not found`,
    });
    await writeFile(join(directory, 'real.pem'), 'x');
    assert.deepEqual(check('ca: real.pem\nhistory: later.json\n'), {
      ca: join(directory, 'real.pem'),
      history: join(directory, 'later.json'),
    });
  });

  test('a device (a link to /dev/zero) is refused without reading it: it never ends', async () => {
    const link = join(directory, 'zero.yaml');
    await symlink('/dev/zero', link);
    await assert.rejects(loadConfigFile(link, schema), {
      name: 'ConfigError',
      message: `${link}:1:1: this is a device, not a regular file`,
    });
  });
});

describe('formatPath and formatIssue', () => {
  test('formatPath writes dots for keys and brackets for indexes', () => {
    assert.equal(formatPath([]), '');
    assert.equal(formatPath(['listen', 'port']), 'listen.port');
    assert.equal(formatPath(['paths', 1, 'timeout']), 'paths[1].timeout');
    assert.equal(formatPath([0, 'a', 2, 3]), '[0].a[2][3]');
  });

  test('formatIssue leaves out an empty path', () => {
    assert.equal(
      formatIssue({ file: 'f.yaml', line: 2, column: 3, path: '', message: 'bad' }),
      'f.yaml:2:3: bad',
    );
    assert.equal(
      formatIssue({ file: 'f.yaml', line: 2, column: 3, path: 'a.b', message: 'bad' }),
      'f.yaml:2:3: a.b: bad',
    );
  });
});
