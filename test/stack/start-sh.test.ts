// start.sh, without Docker: shellcheck, and its behaviour against a fake `docker` that records what
// it was asked to do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoPath, requireTool, run } from './helpers.ts';

const sandbox = mkdtempSync(join(tmpdir(), 'start-sh-'));
after(() => rmSync(sandbox, { recursive: true, force: true }));

// Only the tools start.sh uses, so "docker is missing" can be tested on a machine that has Docker.
const toolsDir = join(sandbox, 'tools');
mkdirSync(toolsDir);
for (const tool of ['bash', 'dirname', 'sed', 'ls', 'grep', 'mkdir', 'rmdir', 'id', 'cat', 'chmod', 'stat']) {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  assert.ok(found, `${tool} is needed to test start.sh`);
  symlinkSync(found, join(toolsDir, tool));
}

/**
 * A fake docker: appends its arguments to calls.log, answers `compose version` unless told there is
 * no Compose, and answers `compose run … proxy certs` as told by FAKE_CERTS (ok | unknown).
 */
function fakeDocker(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const script = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [ "$1" = compose ] && [ "$2" = up ]; then echo "CERTS_GID=\${CERTS_GID:-unset}" >> "$FAKE_LOG"; fi
if [ "$1" = compose ] && [ "$2" = version ] && [ "\${FAKE_NO_COMPOSE:-}" = 1 ]; then
  echo "docker: 'compose' is not a docker command." >&2; exit 1
fi
if [ "$1" = compose ] && [ "$2" = run ]; then
  case "\${FAKE_CERTS:-ok}" in
    unknown) echo "proxy: Unexpected argument 'certs'" >&2; exit 2 ;;
    *)
      # Like proxy certs: the files, the key 0600, in the folder mounted at /certs.
      for arg in "$@"; do case "$arg" in *:/certs) dir="\${arg%:/certs}" ;; esac; done
      echo ca > "$dir/ca.crt"; echo crt > "$dir/tls.crt"; echo key > "$dir/tls.key"; chmod 0600 "$dir/tls.key"
      echo "wrote /certs/ca.crt"; exit 0 ;;
  esac
fi
exit 0
`;
  writeFileSync(join(dir, 'docker'), script);
  chmodSync(join(dir, 'docker'), 0o755);
}

function startSh(
  args: string[],
  env: Record<string, string> = {},
  withDocker = true,
  prepare?: (workdir: string) => void,
) {
  const workdir = mkdtempSync(join(sandbox, 'repo-'));
  copyFileSync(repoPath('start.sh'), join(workdir, 'start.sh'));
  prepare?.(workdir);
  const dockerDir = join(workdir, 'fake-bin');
  if (withDocker) fakeDocker(dockerDir);
  const log = join(workdir, 'calls.log');
  const result = spawnSync(join(toolsDir, 'bash'), [join(workdir, 'start.sh'), ...args], {
    cwd: workdir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: `${dockerDir}:${toolsDir}`, HOME: workdir, FAKE_LOG: log, ...env },
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { ...result, calls, workdir };
}

describe('start.sh', () => {
  it('is shellcheck-clean, and so are the CI scripts', (t) => {
    if (!requireTool(t, 'shellcheck', 'apt-get install -y shellcheck')) return;
    const result = run('shellcheck', ['start.sh', '.ci/run', '.ci/node24.sh', '.ci/docker-api.sh']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('says what to install when Docker is missing', () => {
    const result = startSh([], {}, false);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Docker is not installed.*get-docker/);
    assert.match(result.stderr, /without Docker \(Node 24\): npm ci && npm start/);
  });

  it('says what to install when Compose v2 is missing', () => {
    const result = startSh([], { FAKE_NO_COMPOSE: '1' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Compose v2 is missing/);
    assert.match(result.stderr, /npm ci && npm start/);
  });

  it('creates certificates with the proxy image, then builds, starts and waits, then prints the URLs', () => {
    const result = startSh([]);
    assert.equal(result.status, 0, result.stderr);
    const certs = result.calls.find((call) => call.startsWith('compose run'));
    assert.ok(certs, result.calls.join('\n'));
    assert.match(certs, /--rm --no-deps/);
    assert.match(
      certs,
      new RegExp(`--volume ${result.workdir}/certs:/certs proxy certs --dir /certs --host localhost`),
    );
    assert.ok(result.calls.indexOf('compose build proxy') < result.calls.indexOf(certs));
    const up = result.calls.find((call) => call.startsWith('compose up'));
    assert.ok(up);
    assert.match(up, /--detach --build --wait/);
    for (const url of [
      'http://127.0.0.1:3000',
      'http://127.0.0.1:9090',
      'http://127.0.0.1:9103/probes',
      'http://127.0.0.1:8000/status',
      'http://127.0.0.1:8080/status',
      'https://127.0.0.1:8443/',
    ]) {
      assert.ok(result.stdout.includes(url), `prints ${url}`);
    }
  });

  it('leaves the key readable by the proxy image’s user through the group it hands to compose', () => {
    const result = startSh([]);
    assert.equal(result.status, 0, result.stderr);
    const mode = spawnSync('stat', ['-c', '%a', join(result.workdir, 'certs', 'tls.key')], {
      encoding: 'utf8',
    });
    assert.equal(mode.stdout.trim(), '640');
    const gid = spawnSync('id', ['-g'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(result.calls.includes(`CERTS_GID=${gid}`), result.calls.join('\n'));
    assert.ok(!result.calls.some((call) => call.includes('--scale hello-sre=0')));
  });

  it('goes on over HTTP when the proxy has no certs subcommand yet', () => {
    const result = startSh([], { FAKE_CERTS: 'unknown' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /no 'certs' subcommand yet/);
    assert.ok(!existsSync(join(result.workdir, 'certs')), 'no empty certs folder left behind');
    const up = result.calls.find((call) => call.startsWith('compose up'));
    assert.match(up ?? '', /--scale hello-sre=0$/, 'the HTTPS service needs the certificates');
  });

  it('leaves existing certificates alone', () => {
    const result = startSh([], {}, true, (workdir) => {
      mkdirSync(join(workdir, 'certs'));
      writeFileSync(join(workdir, 'certs', 'ca.crt'), 'a certificate');
    });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!result.calls.some((call) => call.startsWith('compose run')), result.calls.join('\n'));
    assert.ok(result.calls.some((call) => call.startsWith('compose up')));
  });

  it('passes down, logs and status through to docker compose', () => {
    assert.ok(startSh(['down', '--volumes']).calls.includes('compose down --remove-orphans --volumes'));
    assert.ok(startSh(['logs', 'client']).calls.includes('compose logs --follow --tail 100 client'));
    const status = startSh(['status']);
    assert.ok(status.calls.includes('compose ps'));
    assert.match(status.stdout, /Grafana/);
  });

  it('rejects an unknown command with usage and exit 2', () => {
    const result = startSh(['frobnicate']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\.\/start\.sh status/);
  });
});
