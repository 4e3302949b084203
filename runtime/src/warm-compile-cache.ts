// Fills Node's compile cache (the NODE_COMPILE_CACHE folder) with what a service loads to start: runs
// the command, waits until the URL answers 200, stops it with SIGTERM and expects a clean exit. The
// images run it at build time, as the user the container runs as (Node keeps the cache per user id), so
// a container starts from the cache: no module is compiled, the TypeScript stripper is never loaded.
//
//   NODE_COMPILE_CACHE=DIR node runtime/src/warm-compile-cache.ts READY_URL BIN [ARG...]
import { spawn } from 'node:child_process';

const TIMEOUT_MS = 60_000;

function fail(message: string): never {
  process.stderr.write(`warm-compile-cache: ${message}\n`);
  process.exit(1);
}

const [readyUrl, bin, ...args] = process.argv.slice(2);
if (!readyUrl || !bin)
  fail('usage: NODE_COMPILE_CACHE=DIR node warm-compile-cache.ts READY_URL BIN [ARG...]');
if (!process.env.NODE_COMPILE_CACHE) fail('NODE_COMPILE_CACHE names no folder: nothing to fill');

const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
let exitCode: number | null | undefined;
void exited.then((code) => {
  exitCode = code;
});

const deadline = Date.now() + TIMEOUT_MS;
for (;;) {
  if (exitCode !== undefined) fail(`${bin} exited with ${exitCode} before ${readyUrl} answered`);
  if (Date.now() > deadline) {
    child.kill('SIGKILL');
    fail(`${readyUrl} did not answer 200 within ${TIMEOUT_MS / 1000} s`);
  }
  const status = await fetch(readyUrl).then(
    async (response) => {
      await response.arrayBuffer();
      return response.status;
    },
    () => 0,
  );
  if (status === 200) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
// The cache is written as the process exits: a clean shutdown is what leaves it complete.
child.kill('SIGTERM');
const code = await exited;
if (code !== 0) fail(`${bin} exited with ${code} after SIGTERM`);
process.stdout.write(
  `warm-compile-cache: ${bin} started and stopped; cache in ${process.env.NODE_COMPILE_CACHE}\n`,
);
