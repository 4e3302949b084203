// The compile cache the bins switch on (src/compile-cache.mjs) and the build step that fills it
// (src/warm-compile-cache.ts): a start from a filled cache never loads Node's TypeScript stripper.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '../testing/process.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/cached-service.ts', import.meta.url));
const WARM = fileURLToPath(new URL('../src/warm-compile-cache.ts', import.meta.url));

interface Answer {
  stripperLoaded: boolean;
  cache: string | null;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compile-cache-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** The environment without any compile-cache setting of the process running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('NODE_COMPILE_CACHE' in extra)) delete env.NODE_COMPILE_CACHE;
  if (!('NODE_DISABLE_COMPILE_CACHE' in extra)) delete env.NODE_DISABLE_COMPILE_CACHE;
  return env;
}

/** Starts the fixture, reads its /readyz answer, stops it with SIGTERM. */
async function startOnce(env: NodeJS.ProcessEnv): Promise<Answer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [SERVICE, String(port)], { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    return await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return (await response.json()) as Answer;
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe('compile cache', () => {
  test('a bin passes its cache folder on, so that its children start with the cache on', async () => {
    const answer = await startOnce(cleanEnv({ TMPDIR: dir }));
    assert.equal(answer.cache, join(dir, 'node-compile-cache'), "Node's default folder, under TMPDIR");
    assert.equal(answer.stripperLoaded, true, 'a start from an empty cache strips its own files');
  });

  test('NODE_DISABLE_COMPILE_CACHE=1 turns it off', async () => {
    const answer = await startOnce(cleanEnv({ TMPDIR: dir, NODE_DISABLE_COMPILE_CACHE: '1' }));
    assert.equal(answer.cache, null);
  });

  test('warm-compile-cache fills it: the next start never loads the TypeScript stripper', async () => {
    const cache = join(dir, 'warmed');
    const port = await freePort();
    const warm = spawnSync(
      process.execPath,
      [WARM, `http://127.0.0.1:${port}/readyz`, SERVICE, String(port)],
      {
        env: cleanEnv({ NODE_COMPILE_CACHE: cache }),
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(warm.status, 0, warm.stderr);
    assert.ok((await readdir(cache)).length > 0, 'the cache folder has entries');
    const answer = await startOnce(cleanEnv({ NODE_COMPILE_CACHE: cache }));
    assert.equal(answer.stripperLoaded, false);
    assert.equal(answer.cache, cache);
  });

  test('warm-compile-cache refuses to run without NODE_COMPILE_CACHE, and says why', () => {
    const warm = spawnSync(process.execPath, [WARM, 'http://127.0.0.1:1/readyz', SERVICE, '1'], {
      env: cleanEnv({}),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(warm.status, 1);
    assert.match(warm.stderr, /NODE_COMPILE_CACHE names no folder/);
  });

  test('warm-compile-cache fails when the service exits before it is ready', () => {
    const warm = spawnSync(process.execPath, [WARM, 'http://127.0.0.1:1/readyz', '-e', 'process.exit(3)'], {
      env: cleanEnv({ NODE_COMPILE_CACHE: join(dir, 'failed') }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(warm.status, 1);
    assert.match(warm.stderr, /exited with 3 before/);
  });
});
