// Shared by the stack tests: paths, YAML loading, and the rule that a missing tool fails in CI and
// skips (with the reason) anywhere else.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function repoPath(...parts: string[]): string {
  return join(root, ...parts);
}

export function readText(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** YAML with merge keys (`<<: *anchor`), as Docker Compose reads it. */
export function readYaml<T = Record<string, unknown>>(...parts: string[]): T {
  return parse(readText(...parts), { merge: true }) as T;
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * True when the tool is there. Otherwise fails under CI=true (CI must have everything) and skips the
 * test elsewhere, saying why: no test is skipped silently.
 */
export function requireTool(t: TestContext, name: string, install: string): boolean {
  if (hasTool(name)) return true;
  const reason = `${name} is not installed (${install})`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must provide it`);
  t.skip(reason);
  return false;
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
