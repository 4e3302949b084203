// zod with English messages only (src/zod-locales.mjs): imported before zod, it leaves out the other
// locales' modules and nothing else; the schemas and their messages stay as they were.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

const HOOK = new URL('../src/zod-locales.mjs', import.meta.url).href;

/** What a fresh process sees of zod, with or without the hook imported first. */
function zodIn(withHook: boolean): { locales: string[]; message: string } {
  const script = `
    ${withHook ? `await import(${JSON.stringify(HOOK)});` : ''}
    const { z } = await import('zod');
    const result = z.strictObject({ port: z.int().max(10) }).safeParse({ port: 11, extra: 1 });
    const message = result.error.issues.map((issue) => issue.message).join('; ');
    console.log(JSON.stringify({ locales: Object.keys(z.locales).sort(), message, en: typeof z.locales.en }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const answer = JSON.parse(child.stdout) as { locales: string[]; message: string; en: string };
  assert.equal(answer.en, 'function', 'z.locales.en stays usable');
  return { locales: answer.locales, message: answer.message };
}

describe('zod-locales', () => {
  test('leaves English alone in z.locales, and the messages unchanged', () => {
    const full = zodIn(false);
    const english = zodIn(true);
    assert.ok(full.locales.length > 10, `zod ships many locales (${full.locales.length})`);
    assert.deepEqual(english.locales, ['en']);
    assert.equal(english.message, full.message);
    assert.match(english.message, /Too big|at most|expected/i);
  });
});
