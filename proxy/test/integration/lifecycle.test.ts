// Reload and shutdown through the real bin: a config edited while requests flow fails none of them; a
// broken edit is refused and the last good config keeps serving; SIGTERM lets in-flight requests finish
// and exits 0. Plus the CLI's --check and --help.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { eventually } from '@sre-stack/runtime/testing';
import {
  PROXY_BIN,
  type RunningProxy,
  sample,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

const run = promisify(execFile);

const config = (target: string, body: string) => `
routes:
  - name: static
    match: { path: /static }
    static: { body: "${body}" }
  - name: main
    match: { pathPrefix: / }
    upstream: { targets: [${target}] }
    policies:
      retry: { retries: 1 }
`;

describe('reload', () => {
  let a: Upstream;
  let b: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    [a, b] = await Promise.all([startUpstream('a'), startUpstream('b')]);
    proxy = await startProxy(config(a.url, 'one'));
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('edits while requests flow: none fails, and the new config takes over', async () => {
    const statuses: number[] = [];
    const served = new Set<string>();
    let reloading = true;
    const client = async () => {
      for (let i = 0; reloading && i < 500; i++) {
        const response = await fetch(`${proxy.url}/status/200?delay=20`);
        statuses.push(response.status);
        served.add(response.headers.get('x-upstream-name') ?? '?');
        await response.arrayBuffer();
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const reloadsBefore = proxy.process.lines.filter((line) => line.msg === 'config reloaded').length;
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await proxy.writeConfig(config(round % 2 === 0 ? b.url : a.url, `round ${round}`));
      await proxy.process.waitForLine(
        () =>
          proxy.process.lines.filter((line) => line.msg === 'config reloaded').length > reloadsBefore + round,
        10_000,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    reloading = false;
    await Promise.all(clients);
    assert.ok(statuses.length > 20, `only ${statuses.length} requests ran`);
    assert.deepEqual(
      statuses.filter((status) => status !== 200),
      [],
    );
    assert.deepEqual([...served].sort(), ['a', 'b']);
    assert.equal(await (await fetch(`${proxy.url}/static`)).text(), 'round 3');
  });

  it('refuses a broken edit with its position and keeps serving the last good config', async () => {
    const before = await (await fetch(`${proxy.url}/static`)).text();
    await proxy.writeConfig('routes:\n  - name: broken\n    upstream: { targets: [not a url] }\n');
    const refused = await proxy.process.waitForLine(
      (line) => String(line.msg).startsWith('config reload refused'),
      10_000,
    );
    assert.match(String(refused.msg), /proxy\.yaml:3:\d+: routes\[0\]\.upstream/);
    assert.equal(await (await fetch(`${proxy.url}/static`)).text(), before);
    assert.equal(sample(await proxy.metrics(), 'config_last_reload_successful'), 0);
  });
});

describe('shutdown', () => {
  it('SIGTERM lets in-flight requests finish, then exits 0', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(config(upstream.url, 'x'));
    try {
      const slow = fetch(`${proxy.url}/status/200?delay=1500&key=drain`).then(async (response) => ({
        status: response.status,
        body: await response.text(),
        connection: response.headers.get('connection'),
      }));
      await eventually(async () => assert.equal((await upstream.stats()).hits.drain, 1));
      proxy.process.child.kill('SIGTERM');
      const answer = await slow;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'status 200\n');
      assert.equal(answer.connection, 'close', 'a draining proxy closes the connection after the response');
      assert.equal(await proxy.process.exited, 0);
      assert.ok(proxy.process.lines.some((line) => line.msg === 'stopped' && line.exit_code === 0));
    } finally {
      await proxy.stop();
      await upstream.stop();
    }
  });
});

describe('command line', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'proxy-cli-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it('--check accepts a good config and exits 0', async () => {
    const { stdout } = await run(process.execPath, [
      PROXY_BIN,
      '--check',
      '--config',
      new URL('../../proxy.yaml', import.meta.url).pathname,
    ]);
    assert.match(stdout, /ok, the proxy format \(1 route\)/);
  });

  it('--check reports every problem as file:line:column and exits 1', async () => {
    const file = join(directory, 'bad.yaml');
    await writeFile(
      file,
      'routes:\n  - match: { pathPrefix: nope }\n    upstream: missing\n    policies: { retry: { retries: 99 } }\n',
    );
    const failed = await run(process.execPath, [PROXY_BIN, '--check', '--config', file]).catch(
      (error) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /bad\.yaml:2:\d+: routes\[0\]\.match\.pathPrefix/);
    assert.match(failed.stderr, /bad\.yaml:3:\d+: routes\[0\]\.upstream: no upstream named "missing"/);
    assert.match(failed.stderr, /bad\.yaml:4:\d+: routes\[0\]\.policies\.retry\.retries/);
  });

  it('--help prints usage and exits 0; a missing --config exits 2', async () => {
    const { stdout } = await run(process.execPath, [PROXY_BIN, '--help']);
    assert.match(stdout, /Usage: proxy --config FILE/);
    const failed = await run(process.execPath, [PROXY_BIN], {
      env: { ...process.env, PROXY_CONFIG: '' },
    }).catch((error) => error);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /--config FILE/);
  });

  it('refuses to start on an invalid config, exit 1', async () => {
    const file = join(directory, 'invalid.yaml');
    await writeFile(file, 'routes: 3\n');
    const failed = await run(process.execPath, [
      PROXY_BIN,
      '--config',
      file,
      '--port',
      '0',
      '--metrics-port',
      '0',
    ]).catch((error) => error);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /invalid\.yaml:1:9: routes/);
  });

  it('rgate without --config is a usage error (exit 2) that says what is missing', async () => {
    const failed = await run(process.execPath, [new URL('../../bin/rgate.mjs', import.meta.url).pathname], {
      env: { ...process.env, RGATE_CONFIG: '' },
    }).catch((error) => error);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /--config FILE \(or RGATE_CONFIG\) is required/);
  });
});
