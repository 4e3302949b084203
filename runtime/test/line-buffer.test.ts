// The stdout log destination: lines of one turn go out together, in order, and nothing is lost at exit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const script = (body: string) =>
  spawnSync(process.execPath, ['--input-type=module', '-e', body], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 20_000,
  });

test('lines from two loggers keep their order, and process.exit right after logging loses none', () => {
  const result = script(`
    const { createLogger } = await import('./src/logger.ts');
    const first = createLogger({ service: 'a' });
    const second = createLogger({ service: 'b' });
    for (let i = 0; i < 2000; i++) (i % 2 ? second : first).info({ i }, 'line');
    setImmediate(() => {
      first.info('last');
      process.exit(0);
    });
  `);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(lines.length, 2001);
  assert.deepEqual(
    lines.slice(0, 2000).map((line) => line.i),
    Array.from({ length: 2000 }, (_, i) => i),
  );
  assert.equal(lines.at(-1).msg, 'last');
});
