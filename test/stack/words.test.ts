// Words a reader of this repository can follow: formats are named by what they are (the sidecar
// format, the rgate format, the load-balancer format), never by the numbers of the specs they came
// from, and no path points outside the repository. Checked in every text file and in what the tools
// print about the example configs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoPath, root } from './helpers.ts';

const run = promisify(execFile);

const JARGON: [RegExp, string][] = [
  [/seed[ -]?\d/i, 'a seed number'],
  [/\.\.\/shared/, 'a path outside the repository'],
  [/\bthe challenge\b/i, '"the challenge"'],
  [/docs\/seeds\.md|test\/seeds\//, 'an old path'],
];

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'certs']);
const TEXT =
  /\.(ts|mjs|mts|js|json|ya?ml|md|sh|conf|alloy|txt)$|^(Dockerfile|\.nvmrc|\.npmrc|start\.sh|run)$/;

function* textFiles(directory: string): Generator<string> {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) yield* textFiles(join(directory, entry.name));
    } else if (TEXT.test(entry.name)) {
      yield join(directory, entry.name);
    }
  }
}

describe('words', () => {
  it('no seed numbers, "the challenge" or paths outside the repository, in any file', () => {
    const self = relative(root, new URL(import.meta.url).pathname);
    const found: string[] = [];
    for (const file of textFiles(root)) {
      const name = relative(root, file);
      if (name === self) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const [pattern, what] of JARGON)
          if (pattern.test(line)) found.push(`${name}:${index + 1}: ${what}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it('proxy --check names each example’s format by what it is', async () => {
    const expected: Record<string, string> = {
      'examples/sidecar.yaml': 'the sidecar format',
      'examples/rgate.yml': 'the rgate format',
      'examples/lb.yaml': 'the load-balancer format',
      'examples/hello-sre.yaml': 'the proxy format',
    };
    for (const [file, format] of Object.entries(expected)) {
      const { stdout } = await run(
        process.execPath,
        [repoPath('proxy/bin/proxy.mjs'), '--check', '--config', file],
        {
          cwd: root,
          env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
        },
      );
      assert.match(
        stdout,
        new RegExp(`^${file.replace('.', '\\.')}: ok, ${format} \\(\\d+ routes?\\)$`, 'm'),
      );
      for (const [pattern, what] of JARGON) assert.doesNotMatch(stdout, pattern, `${file}: ${what}`);
    }
  });
});
