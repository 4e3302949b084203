// The four bins, started by hand as the READMEs show (`node client/bin/prober.mjs ...`): plain
// JavaScript, so that a start from a warm compile cache never loads Node's TypeScript stripper, and
// the first version's .ts paths still start the same bins.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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
