// `npm start` (scripts/native.ts): the three services on this host, wired prober → proxy → server,
// readable prefixed logs, and Ctrl-C stopping all three cleanly. Ports 0 here, so nothing collides
// with a stack already running on the defaults.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { repoPath } from './helpers.ts';

const env = {
  SERVER_PORT: '0',
  SERVER_METRICS_PORT: '0',
  SERVER_HOST: '127.0.0.1',
  PROXY_PORT: '0',
  PROXY_METRICS_PORT: '0',
  PROXY_WORKERS: '1',
  PROBER_METRICS_PORT: '0',
};

async function interrupt(native: RunningProcess): Promise<number | string> {
  return native.stop('SIGINT', 30_000);
}

describe('scripts/native.ts', () => {
  it('starts server, proxy and prober wired together, and Ctrl-C stops them in order', async () => {
    const native = startProcess(repoPath('scripts/native.ts'), { args: ['--json'], env });
    try {
      const ready = await native.waitForLine(
        (line) => line.service === 'native' && line.msg === 'ready',
        60_000,
      );
      const services = ready.services as Record<string, { port?: number; metrics_port: number }>;
      assert.deepEqual(Object.keys(services), ['flaky-server', 'proxy', 'prober']);
      const proxyPort = services.proxy?.port;
      // Through the proxy to the server.
      const response = await fetch(`http://127.0.0.1:${proxyPort}/status`);
      assert.equal(typeof response.status, 'number');
      await response.arrayBuffer();
      // The prober probes through the proxy, not the server directly.
      const run = await native.waitForLine(
        (line) => line.service === 'prober' && line.kind === 'probe',
        30_000,
      );
      assert.equal(run.url, `http://127.0.0.1:${proxyPort}/status`);
      for (const [name, ports] of Object.entries(services)) {
        const health = await fetch(`http://127.0.0.1:${ports.metrics_port}/healthz`);
        assert.equal(health.status, 200, `${name} /healthz`);
      }
    } finally {
      assert.equal(await interrupt(native), 0);
    }
    const stopped = native.lines.filter((line) => line.msg === 'shutting down').map((line) => line.service);
    assert.deepEqual(stopped, ['prober', 'proxy', 'flaky-server'], 'traffic stops first, the server last');
    assert.ok(native.lines.some((line) => line.service === 'native' && line.msg === 'stopped'));
  });

  it('--pretty: one short line per probe run, no access logs, and the URLs', async () => {
    const native = startProcess(repoPath('scripts/native.ts'), { args: ['--pretty'], env });
    try {
      await native.waitForLine(
        (line) => typeof line.raw === 'string' && line.raw.includes('Ctrl-C stops all three'),
        60_000,
      );
      await native.waitForLine(
        (line) => typeof line.raw === 'string' && / [✓✗] status /.test(line.raw),
        30_000,
      );
      const raw = native.lines.map((line) => String(line.raw ?? ''));
      assert.ok(
        raw.some((line) => /^\d\d:\d\d:\d\d\.\d{3} flaky-server +listening port=\d+/.test(line)),
        raw.join('\n'),
      );
      assert.ok(raw.some((line) => /^\d\d:\d\d:\d\d\.\d{3} proxy +listening/.test(line)));
      assert.ok(raw.some((line) => /Prober +http:\/\/localhost:\d+\/probes/.test(line)));
      assert.ok(raw.some((line) => /Proxy +http:\/\/localhost:\d+\/status/.test(line)));
      const run = raw.find((line) => / [✓✗] status /.test(line)) as string;
      assert.match(run, /^\d\d:\d\d:\d\d\.\d{3} [✓✗] status +(\d{3}|---) +[\d.]+ m?s/);
      assert.ok(run.length < 120, run);
      assert.ok(!raw.some((line) => / request /.test(line)), "the services' access logs are left out");
      assert.ok(!native.lines.some((line) => typeof line.msg === 'string'), 'no JSON lines');
    } finally {
      assert.equal(await interrupt(native), 0);
    }
  });

  it('piped (not a terminal) and without options: full JSON lines', async () => {
    const native = startProcess(repoPath('scripts/native.ts'), { env });
    try {
      const run = await native.waitForLine(
        (line) => line.service === 'prober' && line.kind === 'probe',
        60_000,
      );
      assert.equal(typeof run.trace_id, 'string');
      // The proxy's access line comes through another pipe: it may arrive after the prober's line.
      await native.waitForLine((line) => line.service === 'proxy' && line.msg === 'request', 10_000);
    } finally {
      assert.equal(await interrupt(native), 0);
    }
  });

  it('--help explains native mode and its options, and starts nothing', () => {
    const help = spawnSync(process.execPath, [repoPath('scripts/native.ts'), '--help'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(help.status, 0);
    for (const words of ['without Docker', '--json', '--pretty', 'SERVER_PORT', 'PROBER_CONFIG', 'Ctrl-C'])
      assert.ok(help.stdout.includes(words), words);
    const wrong = spawnSync(process.execPath, [repoPath('scripts/native.ts'), '--jsn'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /Try 'npm start -- --help'/);
  });
});
