// The "done when": `proxy --config proxy/proxy.yaml` in front of the real flaky-server. With
// flaky mode on, the proxy's metrics and logs show requests that retries rescued, circuits that opened
// and rate limits that fired.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { accessLines, PROXY_BIN, sample } from '../helpers/proxy.ts';

const FLAKY_SERVER = new URL('../../../server/bin/flaky-server.mjs', import.meta.url).pathname;
const SHIPPED_CONFIG = new URL('../../proxy.yaml', import.meta.url).pathname;

describe('proxy.yaml in front of flaky-server', () => {
  let server: RunningProcess;
  let proxy: RunningProcess;
  let serverUrl: string;
  let proxyUrl: string;
  let adminUrl: string;

  before(async () => {
    assert.ok(existsSync(FLAKY_SERVER), `${FLAKY_SERVER} is part of this repository`);
    server = startProcess(FLAKY_SERVER, {
      args: ['--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
    });
    const serverLine = await server.waitForLine((line) => line.msg === 'listening', 30_000);
    serverUrl = `http://127.0.0.1:${serverLine.port}`;
    proxy = startProcess(PROXY_BIN, {
      args: ['--config', SHIPPED_CONFIG, '--port', '0', '--metrics-port', '0'],
      env: { UPSTREAM_URL: serverUrl },
    });
    const proxyLine = await proxy.waitForLine((line) => line.msg === 'listening', 30_000);
    proxyUrl = `http://127.0.0.1:${proxyLine.port}`;
    adminUrl = `http://127.0.0.1:${proxyLine.metrics_port}`;
  });

  after(async () => {
    await proxy?.stop();
    await server?.stop();
  });

  it('forwards to flaky-server', async () => {
    const response = await fetch(`${proxyUrl}/status`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'OK\n');
    assert.equal(response.headers.get('x-proxy-attempts'), '1');
  });

  it('with flaky mode on, shows rescued retries, opened circuits and fired rate limits', async (t) => {
    const toggled = await fetch(`${serverUrl}/flaky`, { method: 'POST' });
    assert.equal(toggled.headers.get('x-flaky'), 'on');
    const seen = { rescued: 0, opened: 0, limited: 0 };
    const deadline = Date.now() + 60_000;
    // Bursts of concurrent requests: enough for the 50/s limit, and enough tries for 3 failures in a row.
    // Rounds are paced: once the circuit is open every answer is instant, and unpaced rounds would all
    // be spent inside its 5 s before a retry ever had the chance to rescue a request.
    for (let round = 0; round < 120 && Date.now() < deadline; round++) {
      const roundStarted = Date.now();
      await Promise.all(
        Array.from({ length: 40 }, () =>
          fetch(`${proxyUrl}/status`)
            .then((response) => response.arrayBuffer())
            .catch(() => undefined),
        ),
      );
      const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
      seen.rescued = sample(metrics, 'proxy_retry_rescued_total', { route: 'flaky' }) ?? 0;
      seen.opened =
        sample(metrics, 'proxy_circuit_transitions_total', {
          route: 'flaky',
          target: serverUrl,
          to: 'open',
        }) ?? 0;
      seen.limited = sample(metrics, 'proxy_rate_limited_total', { route: 'flaky' }) ?? 0;
      if (seen.rescued > 0 && seen.opened > 0 && seen.limited > 0) break;
      await sleep(Math.max(0, 250 - (Date.now() - roundStarted)));
    }
    t.diagnostic(`metrics: ${JSON.stringify(seen)}`);
    assert.ok(seen.rescued > 0, 'retries rescued requests (proxy_retry_rescued_total)');
    assert.ok(seen.opened > 0, 'a circuit opened (proxy_circuit_transitions_total{to="open"})');
    assert.ok(seen.limited > 0, 'the rate limit fired (proxy_rate_limited_total)');

    const lines = accessLines({ process: proxy } as never);
    const rescued = lines.filter((line) => line.decided_by === 'retry' && Number(line.status) < 500);
    const refused = lines.filter((line) => line.decided_by === 'circuit_breaker');
    const limited = lines.filter((line) => line.decided_by === 'rate_limit' && line.status === 429);
    t.diagnostic(
      `access log: ${lines.length} requests, ${rescued.length} rescued by retries, ${refused.length} refused by an open circuit, ${limited.length} rate limited`,
    );
    assert.ok(rescued.length > 0, 'the access log shows requests a retry rescued');
    assert.ok(limited.length > 0, 'the access log shows rate-limited requests');
    assert.ok(
      proxy.lines.some((line) => line.msg === 'circuit opened for 5000 ms' && line.route === 'flaky'),
      'the log says when a circuit opened',
    );
    const reasons = new Map<string, number>();
    for (const line of lines)
      for (const reason of (line.retry_reasons as string[] | undefined) ?? [])
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    t.diagnostic(`retry reasons: ${JSON.stringify(Object.fromEntries(reasons))}`);
  });
});
