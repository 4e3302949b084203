// --config: the profile comes from YAML, is reloaded on change, and a broken edit keeps the last good one.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startProcess } from '@sre-stack/runtime/testing';
import { send } from '../http-client.ts';
import { BIN, type RunningServer, startServer } from './server-process.ts';

async function state(server: RunningServer) {
  return JSON.parse((await send(server.base, '/flaky')).body);
}

describe('flaky-server bin: chaos profile from a YAML file', () => {
  let directory: string;
  let file: string;
  let server: RunningServer;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'flaky-server-config-'));
    file = join(directory, 'chaos.yaml');
    await writeFile(
      file,
      'error_probability: 0.25\nlatency:\n  distribution: fixed\n  delay: 100ms\ncodes: [503]\n',
    );
    server = await startServer({ args: ['--config', file] });
  });
  after(async () => {
    await server?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('starts with the profile from the file, flaky mode still off', async () => {
    const current = await state(server);
    assert.equal(current.flaky, false);
    assert.deepEqual(current.profile, {
      error_probability: 0.25,
      latency: { distribution: 'fixed', delay: '100ms' },
      codes: [503],
    });
    const metrics = (await send(server.metrics, '/metrics')).body;
    assert.match(metrics, /^flaky_server_chaos_error_ratio 0.25$/m);
    assert.match(metrics, /^flaky_server_chaos_latency_max_seconds 0.1$/m);
    assert.match(metrics, /^flaky_server_chaos_changes_total\{source="config",change="profile"\} 0$/m);
  });

  it('applies an edited file, including "enabled"', async () => {
    await writeFile(
      file,
      'enabled: true\nlatency: {distribution: exponential, mean: 5ms, max: 20ms}\ncodes: {500: 3, 502: 1}\n',
    );
    const current = await eventually(async () => {
      const next = await state(server);
      assert.equal(next.flaky, true);
      return next;
    }, 15_000);
    assert.deepEqual(current.profile, {
      error_probability: 1,
      latency: { distribution: 'exponential', mean: '5ms', min: '0ms', max: '20ms' },
      codes: { 500: 3, 502: 1 },
    });
    for (let i = 0; i < 5; i++) assert.ok([500, 502].includes((await send(server.base, '/status')).status));
    const metrics = (await send(server.metrics, '/metrics')).body;
    assert.match(metrics, /^flaky_server_chaos_changes_total\{source="config",change="profile"\} 1$/m);
    assert.match(metrics, /^flaky_server_chaos_changes_total\{source="config",change="flaky"\} 1$/m);
    assert.match(metrics, /^flaky_server_flaky_enabled 1$/m);
  });

  it('refuses a broken edit with its position and keeps the last good profile', async () => {
    await writeFile(file, 'latency:\n  distribution: fixed\n  delay: 2h\n');
    const refused = await server.process.waitForLine(
      (line) => String(line.msg).startsWith('config reload refused'),
      15_000,
    );
    assert.equal(refused.level, 'error');
    assert.match(String(refused.msg), /chaos\.yaml:3:\d+: latency\.delay: must be at most 60s/);
    const current = await state(server);
    assert.equal(current.profile.latency.distribution, 'exponential');
    const metrics = (await send(server.metrics, '/metrics')).body;
    assert.match(metrics, /^config_last_reload_successful 0$/m);
  });

  it('a broken file at startup stops the server with exit code 1 and the position', async () => {
    const broken = join(directory, 'broken.yaml');
    await writeFile(broken, 'error_probability: 2\nmystery: 1\n');
    const running = startProcess(BIN, {
      args: ['--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', '--config', broken],
    });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      running.exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('timeout'), 30_000);
      }),
    ]);
    clearTimeout(timer);
    if (code === 'timeout') await running.stop('SIGKILL');
    assert.equal(code, 1);
    const fatal = running.lines.find((line) => line.level === 'fatal');
    assert.ok(fatal, JSON.stringify(running.lines));
    assert.match(String(fatal.msg), /broken\.yaml:1:\d+: error_probability: must be at most 1, not 2/);
    assert.match(String(fatal.msg), /broken\.yaml:2:1: mystery: unknown field "mystery"/);
  });
});
