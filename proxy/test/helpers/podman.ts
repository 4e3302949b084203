// A real Docker Engine API for the rgate tests: Podman's compatible API on a unix socket, started by
// .ci/docker-api.sh, with busybox containers on the host network serving on loopback (never reached at
// a container's own address). Without podman the tests fail in CI and are skipped, with the reason,
// elsewhere.
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const SCRIPT = join(ROOT, '.ci/docker-api.sh');
export const TEST_IMAGE = 'localhost/sre-stack-busybox:test';

function hasPodman(): boolean {
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when podman is there; otherwise fails under CI=true and skips (saying why) elsewhere. */
export function requirePodman(t: TestContext): boolean {
  if (hasPodman()) return true;
  const reason =
    'podman is not installed (it serves the Docker Engine API for the rgate tests; apt-get install podman runc busybox-static)';
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must provide it`);
  t.skip(reason);
  return false;
}

export interface DockerApi {
  socketPath: string;
  dockerHost: string;
  /**
   * Starts a busybox httpd on 127.0.0.1:port (host network) with these labels; its index page says
   * `name`, and `files` (path under the web root → text) are served too, executable ones under
   * cgi-bin/ as CGI scripts (#!/bin/busybox sh).
   */
  runWebServer(
    name: string,
    port: number,
    labels: Record<string, string>,
    files?: Record<string, string>,
  ): Promise<string>;
  remove(id: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startDockerApi(): Promise<DockerApi> {
  const dir = await mkdtemp(join(tmpdir(), 'docker-api-'));
  const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') };
  const { stdout } = await run(SCRIPT, ['start', dir], { env, timeout: 120_000 });
  const socketPath = stdout.trim().split('\n').at(-1) as string;
  const podman = (args: string[]) => run('podman', ['--runtime', 'runc', ...args], { env, timeout: 60_000 });
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    async runWebServer(name, port, labels, files = {}) {
      const www = join(dir, `www-${name}`);
      await mkdir(www, { recursive: true });
      await writeFile(join(www, 'index.html'), `${name}\n`);
      for (const [path, text] of Object.entries(files)) {
        const file = join(www, path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, text, { mode: path.startsWith('cgi-bin/') ? 0o755 : 0o644 });
      }
      const labelArgs = Object.entries({ 'sre-stack-test': '1', ...labels }).flatMap(([key, value]) => [
        '--label',
        `${key}=${value}`,
      ]);
      const { stdout: id } = await podman([
        'run',
        '-d',
        '--network',
        'host',
        ...labelArgs,
        '-v',
        `${www}:/www`,
        TEST_IMAGE,
        '/bin/busybox',
        'httpd',
        '-f',
        '-p',
        `127.0.0.1:${port}`,
        '-h',
        '/www',
      ]);
      return id.trim();
    },
    async remove(id) {
      // busybox as PID 1 ignores SIGTERM: no grace period.
      await podman(['rm', '-f', '-t', '0', id]);
    },
    async stop() {
      await run(SCRIPT, ['stop', dir], { env, timeout: 120_000 }).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
