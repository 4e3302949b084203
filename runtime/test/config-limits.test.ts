// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test.
// Hostile configs: too large, too long, too many aliases, substitutions nested thousands deep. Each is
// refused quickly with one located line, never a stack trace, at start and at reload.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { configLimits, DEFAULT_CONFIG_LIMITS } from '../src/config/limits.ts';
import { ConfigError, loadConfigFile, parseConfigText } from '../src/config/load.ts';
import { substitutedValues } from '../src/config/substitute.ts';

const schema = z.looseObject({ name: z.string().optional(), items: z.array(z.unknown()).optional() });

function refusal(
  text: string,
  options: Parameters<typeof parseConfigText>[3] = {},
): { line: string; ms: number } {
  const started = performance.now();
  try {
    parseConfigText(text, 'hostile.yaml', schema, { env: {}, ...options });
  } catch (error) {
    const ms = performance.now() - started;
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.issues.length, 1, error.message);
    assert.doesNotMatch(error.message, /\n|\s+at\s+\S+\s\(/, 'one line, no stack trace');
    return { line: error.message, ms };
  }
  assert.fail('the config was accepted');
}

describe('config limits', () => {
  test('a ${A:-${A:-...}} nested 3,000 deep is a located error, not a stack overflow', () => {
    const nested = `${'${A:-'.repeat(3000)}x${'}'.repeat(3000)}`;
    const { line } = refusal(`name: "${nested}"\n`);
    assert.match(line, /^hostile\.yaml:1:7: name: substitutions nest more than 16 levels deep$/);
  });

  test('nesting within the bound still works', () => {
    const nested = `${'${A:-'.repeat(10)}x${'}'.repeat(10)}`;
    assert.equal(parseConfigText(`name: "${nested}"\n`, 'ok.yaml', schema, { env: {} }).name, 'x');
  });

  test('a file over the size limit is refused before parsing, in milliseconds', () => {
    const big = `name: x\nitems:\n${'  - 0123456789012345678901234567890123456789\n'.repeat(30_000)}`;
    assert.ok(Buffer.byteLength(big) > DEFAULT_CONFIG_LIMITS.maxBytes);
    const { line, ms } = refusal(big);
    assert.match(
      line,
      /^hostile\.yaml:1:1: the file is \d+ bytes, larger than the limit of 1 MiB \(CONFIG_MAX_BYTES raises it\)$/,
    );
    assert.ok(ms < 200, `took ${ms} ms`);
  });

  test('a list longer than the limit is refused at its position', () => {
    const text = `name: x\nitems: [${Array.from({ length: 10_001 }, (_, i) => i).join(',')}]\n`;
    const { line, ms } = refusal(text);
    assert.match(line, /^hostile\.yaml:2:8: 10001 items in one list, more than the limit of 10000/);
    assert.ok(ms < 3000, `took ${ms} ms`);
  });

  test('a mapping with more keys than the limit is refused too', () => {
    const text = `name: x\nextra:\n${Array.from({ length: 60 }, (_, i) => `  k${i}: 1\n`).join('')}`;
    const { line } = refusal(text, { limits: { ...DEFAULT_CONFIG_LIMITS, maxItems: 50 } });
    assert.match(line, /^hostile\.yaml:3:3: 60 items in one mapping, more than the limit of 50/);
  });

  test('more aliases than the limit (a billion-laughs file) are refused', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const { line, ms } = refusal(`${levels.join('\n')}\n`);
    assert.match(line, /more than 100 aliases in one file \(CONFIG_MAX_ALIASES raises the limit\)$/);
    assert.ok(ms < 200, `took ${ms} ms`);
  });

  test('the limits come from CONFIG_MAX_* variables; malformed values keep the default', () => {
    assert.deepEqual(
      configLimits({ CONFIG_MAX_BYTES: '4MiB', CONFIG_MAX_ITEMS: '50', CONFIG_MAX_ALIASES: '0' }),
      {
        maxBytes: 4 * 1024 * 1024,
        maxItems: 50,
        maxAliases: 0,
      },
    );
    assert.deepEqual(
      configLimits({ CONFIG_MAX_BYTES: 'lots', CONFIG_MAX_ITEMS: '-1' }),
      DEFAULT_CONFIG_LIMITS,
    );
    assert.deepEqual(configLimits({ CONFIG_MAX_BYTES: '64KiB' }).maxBytes, 65536);
  });

  test('an unexpected failure inside the schema is still one ConfigError line', () => {
    const throwing = z.object({}).transform(() => {
      throw new TypeError('boom\n    at somewhere (file.ts:1:1)');
    });
    assert.throws(
      () => parseConfigText('a: 1\n', 'x.yaml', throwing, { env: {} }),
      (error: unknown) => error instanceof ConfigError && error.message === 'x.yaml:1:1: TypeError: boom',
    );
  });

  test('values that came from substitution are marked on the result, by value', () => {
    const config = parseConfigText(
      'name: "${TOKEN}"\nitems: ["Bearer ${TOKEN}", plain, "${EMPTY}"]\n',
      'x.yaml',
      schema,
      { env: { TOKEN: 's3cr3t', EMPTY: '' } },
    );
    assert.deepEqual([...substitutedValues(config)].sort(), ['Bearer s3cr3t', 's3cr3t']);
    assert.equal(JSON.stringify(config).includes('substituted'), false, 'the mark is invisible to JSON');
  });
});

describe('config limits on files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'config-limits-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a 10 MB file is refused from its size alone, without being read', async () => {
    const file = join(dir, 'big.yaml');
    await writeFile(file, `name: x\n#${'x'.repeat(10 * 1024 * 1024)}\n`);
    const started = performance.now();
    await assert.rejects(loadConfigFile(file, schema), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /big\.yaml:1:1: the file is \d+ bytes, larger than the limit of 1 MiB/);
      return true;
    });
    assert.ok(performance.now() - started < 500);
  });
});
