// The four bins, started by hand as the READMEs show (`node client/bin/prober.mjs ...`): plain
// JavaScript, so that a start from a warm compile cache never loads Node's TypeScript stripper, and
// the first version's .ts paths still start the same bins.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, freePort, startProcess } from '@sre-stack/runtime/testing';
import { repoPath } from './helpers.ts';

const BINS = [
  { name: 'flaky-server', path: repoPath('server', 'bin', 'flaky-server') },
  { name: 'prober', path: repoPath('client', 'bin', 'prober') },
  { name: 'proxy', path: repoPath('proxy', 'bin', 'proxy') },
  { name: 'rgate', path: repoPath('proxy', 'bin', 'rgate') },
];

// Reports, as the process exits, whether Node loaded its stripper (amaro) at any point. The list of
// built-in modules loaded is undocumented but has been stable for years.
const REPORT_STRIPPER = `data:text/javascript,process.on('exit', () => process.stderr.write('stripper loaded: ' + process.moduleLoadList.some((name) => name.includes('amaro')) + '\\n'))`;

const tmp = mkdtempSync(join(tmpdir(), 'bins-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** `node [--import REPORT] FILE --help` with the compile cache in its default folder under tmp. */
function help(file: string, report: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const args = [...(report ? ['--import', REPORT_STRIPPER] : []), file, '--help'];
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 20_000 });
  assert.equal(result.status, 0, result.stderr);
  return result;
}

describe('the bins, started by hand', () => {
  for (const bin of BINS) {
    it(`${bin.name}: from a warm cache, never loads the TypeScript stripper`, () => {
      help(`${bin.path}.mjs`, false); // fills the cache, as a first start does
      const warm = help(`${bin.path}.mjs`, true);
      assert.match(warm.stdout, new RegExp(`^${bin.name}`, 'm'));
      assert.match(warm.stderr, /stripper loaded: false/);
    });

    it(`${bin.name}: the .ts path starts the same bin`, () => {
      const viaTs = help(`${bin.path}.ts`, false);
      assert.equal(viaTs.stdout, help(`${bin.path}.mjs`, false).stdout);
    });
  }
});

// V8 accepts a module's cached code only under the V8 flags it was compiled with. Every process sets its
// heap flags before it loads anything (runtime/src/start-up-heap.mjs), so a serving start, a one-shot
// command and the config parse child share one cache: none of them recompiles and rewrites what another
// wrote. (Before, each switch between `prober` and `prober --once` rewrote about 150 entries.)
describe('one compile cache for every command', () => {
  it("prober, prober --once, a reload and proxy --check leave each other's cache entries as they are", async () => {
    const cache = join(tmp, 'shared-cache');
    const env = { NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: undefined };
    const target = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const probes = join(tmp, 'probes.yaml');
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    writeFileSync(probes, `probes:\n  - { name: local, url: "${url}", every: 1m }\n`);
    // Asynchronous: the probes' target answers from this process.
    const exitCode = async (args: string[]) => {
      const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      return code;
    };
    const probeOnce = async () =>
      assert.equal(
        await exitCode([repoPath('client', 'bin', 'prober.mjs'), '--once', '--config', probes]),
        0,
      );
    const check = async () => {
      const args = [
        repoPath('proxy', 'bin', 'proxy.mjs'),
        '--check',
        '--config',
        repoPath('proxy', 'proxy.yaml'),
      ];
      assert.equal(await exitCode(args), 0);
    };
    // Serves, reloads its file once (the parse runs in a child process), stops: the cache is written.
    const serveAndReload = async () => {
      const metricsPort = await freePort();
      const prober = startProcess(repoPath('client', 'bin', 'prober.mjs'), {
        args: ['--config', probes, '--metrics-port', String(metricsPort)],
        env,
      });
      try {
        await prober.waitForLine((line) => line.msg === 'config applied', 20_000);
        writeFileSync(probes, `probes:\n  - { name: local, url: "${url}", every: 2m }\n`);
        await prober.waitForLine((line) => line.msg === 'config reloaded', 20_000);
        await eventually(async () =>
          assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200),
        );
      } finally {
        writeFileSync(probes, `probes:\n  - { name: local, url: "${url}", every: 1m }\n`);
        assert.equal(await prober.stop('SIGTERM'), 0);
      }
    };
    const entries = () =>
      new Map(
        readdirSync(cache, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => {
            const file = join(entry.parentPath, entry.name);
            return [file, statSync(file).mtimeMs] as const;
          }),
      );
    try {
      // Each command once, so that every module any of them loads has an entry.
      await serveAndReload();
      await probeOnce();
      await check();
      const filled = entries();
      assert.ok(filled.size > 100, `the cache holds ${filled.size} entries`);
      // Then each again, in another order.
      await probeOnce();
      await serveAndReload();
      await check();
      await probeOnce();
      const changed = [...entries()]
        .filter(([file, mtime]) => filled.get(file) !== mtime)
        .map(([file]) => file);
      assert.equal(changed.length, 0, `${changed.length} entries rewritten or added, ${changed[0]} first`);
    } finally {
      target.close();
    }
  });
});
