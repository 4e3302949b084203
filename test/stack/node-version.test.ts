// One Node version for everything: .nvmrc names it, the images' FROM lines and CI (.ci/node24.sh) use it,
// and an older Node is stopped with one line that says what to do, by npm (engine-strict) and by the
// services themselves (runtime/src/node-version.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MINIMUM_NODE_MAJOR, nodeVersionProblem } from '../../runtime/src/node-version.mjs';
import { readText, repoPath } from './helpers.ts';

const nvmrc = readText('.nvmrc').trim();

describe('the Node version, defined once', () => {
  it('.nvmrc names one exact version', () => {
    assert.match(nvmrc, /^\d+\.\d+\.\d+$/);
    assert.equal(Number(nvmrc.split('.')[0]), MINIMUM_NODE_MAJOR);
  });

  for (const workspace of ['server', 'client', 'proxy']) {
    it(`${workspace}/Dockerfile builds and runs on the .nvmrc version`, () => {
      const froms = [...readText(workspace, 'Dockerfile').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
      assert.ok(froms.length > 0);
      for (const image of froms)
        assert.match(image as string, new RegExp(`^node:${nvmrc.replaceAll('.', '\\.')}-`));
    });
  }

  it('CI reads the version from .nvmrc instead of pinning its own', () => {
    const script = readText('.ci', 'node24.sh');
    assert.match(script, /\.nvmrc/);
    assert.doesNotMatch(script, /\b\d+\.\d+\.\d+\b/, 'a literal version in .ci/node24.sh');
  });

  it('engines.node and the runtime check agree on the minimum', () => {
    const manifest = JSON.parse(readText('package.json')) as { engines: { node: string } };
    assert.equal(manifest.engines.node, `>=${MINIMUM_NODE_MAJOR}`);
  });
});

describe('an older Node is refused with what to do', () => {
  it('says which Node runs, which is needed, and how to get it with npm alone', () => {
    const problem = nodeVersionProblem('20.20.2');
    assert.ok(problem);
    assert.doesNotMatch(problem, /\n/);
    assert.match(problem, /needs Node 24 or newer, and this is Node 20\.20\.2/);
    assert.match(problem, /nvm install/);
    assert.match(problem, /npx -y node@24 /);
    assert.equal(nodeVersionProblem('24.0.0'), undefined);
    assert.equal(nodeVersionProblem('v25.1.0'), undefined);
  });

  it('a service stops at start with that one line and exit code 1', () => {
    // process.versions.node is what the check reads; an --import that rewrites it stands in for Node 20.
    const fake = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '20.20.2' })`;
    const result = spawnSync(
      process.execPath,
      ['--import', fake, repoPath('server', 'bin', 'flaky-server.ts')],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] as string, /^sre-stack needs Node 24 or newer, and this is Node 20\.20\.2/);
  });

  it('npm start and npm test check first (pre-scripts)', () => {
    const { scripts } = JSON.parse(readText('package.json')) as { scripts: Record<string, string> };
    assert.equal(scripts.prestart, 'node runtime/src/node-version.mjs');
    assert.equal(scripts.pretest, 'node runtime/src/node-version.mjs');
  });

  it('npm ci fails on an engine mismatch instead of warning (.npmrc engine-strict)', () => {
    assert.match(readText('.npmrc'), /^engine-strict=true$/m);
    // The repository's .npmrc in a project that wants a Node nobody has: npm must stop, naming both.
    const dir = mkdtempSync(join(tmpdir(), 'engine-strict-'));
    try {
      writeFileSync(join(dir, '.npmrc'), readText('.npmrc'));
      const manifest = { name: 'engine-check', version: '1.0.0', engines: { node: '>=999' } };
      writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
      const lock = { ...manifest, lockfileVersion: 3, requires: true, packages: { '': manifest } };
      writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
      const result = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /Required: \{"node":">=999"\}/);
      assert.match(result.stderr, /Actual: +\{"node":"v\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
