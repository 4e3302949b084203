#!/usr/bin/env node
// Brings the copies under deploy/k8s in line with the repository files they come from (client/probes.yaml,
// server/flaky-server.yaml, prometheus/rules/*.yml, grafana/dashboards/*.json).
//
//   node deploy/k8s/sync.ts          write what changed, delete what no longer has a source
//   node deploy/k8s/sync.ts --check  change nothing; exit 1 and list the differences (CI)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles, generatedFolders, k8sRoot } from './generated.ts';

export interface SyncReport {
  /** Generated files whose content differs from what is on disk (or that are missing). */
  changed: string[];
  /** Files in generated folders that nothing generates any more. */
  stale: string[];
}

export function compare(): SyncReport {
  const files = generatedFiles();
  const changed = files
    .filter(({ path, content }) => {
      const file = join(k8sRoot, path);
      return !existsSync(file) || readFileSync(file, 'utf8') !== content;
    })
    .map(({ path }) => path);
  const expected = new Set(files.map(({ path }) => path));
  const stale = generatedFolders.flatMap((folder) => {
    const absolute = join(k8sRoot, folder);
    if (!existsSync(absolute)) return [];
    return readdirSync(absolute)
      .filter((name) => name !== 'README.md')
      .map((name) => `${folder}/${name}`)
      .filter((path) => !expected.has(path));
  });
  return { changed, stale };
}

export function sync(): SyncReport {
  const report = compare();
  const byPath = new Map(generatedFiles().map((file) => [file.path, file]));
  for (const path of report.changed) {
    const file = join(k8sRoot, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, byPath.get(path)?.content ?? '');
  }
  for (const path of report.stale) rmSync(join(k8sRoot, path));
  return report;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const report = check ? compare() : sync();
  const lines = [
    ...report.changed.map((path) => `${check ? 'differs' : 'wrote'}   deploy/k8s/${path}`),
    ...report.stale.map((path) => `${check ? 'stale' : 'deleted'}   deploy/k8s/${path}`),
  ];
  for (const line of lines) console.log(line);
  if (check && lines.length > 0) {
    console.error('deploy/k8s is out of date with the files it copies: run `node deploy/k8s/sync.ts`');
    return 1;
  }
  if (lines.length === 0) console.log('deploy/k8s is up to date');
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
