// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test.
// The worst-case reload (a valid config at the size limit) parses in a child process: serving goes on
// while it runs. The same parse on the main thread would stall every request for its whole duration.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { parseConfigText } from '../src/config/load.ts';
import { substitutedValues } from '../src/config/substitute.ts';
import { watchConfig } from '../src/config/watch.ts';
import { createLogger } from '../src/logger.ts';
import { largeConfigSchema, largestConfigText } from './fixtures/large-config-schema.ts';

const schemaSource = {
  module: new URL('./fixtures/large-config-schema.ts', import.meta.url).href,
  name: 'largeConfigSchema',
};
/** A comment that takes a file over OFF_THREAD_PARSE_CHARS, so that its reload parses in the child. */
const PADDING = `# ${'x'.repeat(70_000)}\n`;

const quietLogger = createLogger({
  service: 'reload-test',
  format: 'json',
  destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
});

describe('a reload at the size limit', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reload-load-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('parses off the main thread: a server keeps answering while it runs', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'name: small\nroutes: []\n');
    const large = largestConfigText();
    assert.ok(Buffer.byteLength(large) > 1000 * 1024, 'close to the 1 MiB limit');

    // What the same parse costs on the main thread: the stall serving would see without the child process.
    const started = performance.now();
    parseConfigText(large, file, largeConfigSchema);
    const mainThreadMs = performance.now() - started;

    const server = createServer((_request, response) => response.end('ok'));
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const watched = await watchConfig({
      file,
      schema: largeConfigSchema,
      schemaSource,
      logger: quietLogger,
      apply: () => {},
      sighup: false,
      pollIntervalMs: 60_000,
    });
    try {
      await writeFile(file, large);
      const reloadStarted = performance.now();
      let done = false;
      const reloaded = watched.reload('test').finally(() => {
        done = true;
      });
      const latencies: number[] = [];
      for (let i = 0; i < 2000 && !done; i++) {
        const sent = performance.now();
        const response = await request(url);
        await response.body.text();
        latencies.push(performance.now() - sent);
      }
      assert.equal(await reloaded, true);
      const reloadMs = performance.now() - reloadStarted;
      assert.equal(watched.current.routes.length, large.split('\n  - name:').length - 1);
      const worst = Math.max(...latencies);
      process.stdout.write(
        `# ${Buffer.byteLength(large)} bytes: main-thread parse ${mainThreadMs.toFixed(0)} ms; reload in a child process ${reloadMs.toFixed(0)} ms, ${latencies.length} requests served meanwhile, slowest ${worst.toFixed(1)} ms; loadavg ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
      );
      assert.ok(latencies.length >= 5, `only ${latencies.length} requests were served during the reload`);
      assert.ok(worst < Math.max(100, mainThreadMs / 3), `a request waited ${worst.toFixed(0)} ms`);
    } finally {
      watched.close();
      server.close();
    }
  });

  test('values substituted in the child process are still marked for redaction', async () => {
    const file = join(dir, 'secret.yaml');
    await writeFile(file, 'name: a\nroutes: []\n');
    const watched = await watchConfig({
      file,
      schema: largeConfigSchema,
      schemaSource,
      logger: quietLogger,
      apply: () => {},
      sighup: false,
      parse: { env: { NAME: 'hunter2' } },
    });
    try {
      await writeFile(file, `${PADDING}name: \${NAME}\nroutes: []\n`);
      assert.equal(await watched.reload(), true);
      assert.equal(watched.current.name, 'hunter2');
      assert.deepEqual([...substitutedValues(watched.current)], ['hunter2']);
    } finally {
      watched.close();
    }
  });

  test('a broken reload from the child process is refused with its position, the last good config stays', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'name: good\nroutes: []\n');
    const watched = await watchConfig({
      file,
      schema: largeConfigSchema,
      schemaSource,
      logger: quietLogger,
      apply: () => {},
      sighup: false,
    });
    try {
      await writeFile(file, `${PADDING}name: bad\nroutes:\n  - name: x\n    match: { pathPrefix: nope }\n`);
      assert.equal(await watched.reload(), false);
      assert.equal(watched.current.name, 'good');
    } finally {
      watched.close();
    }
  });
});
