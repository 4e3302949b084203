// --workers N: worker threads share the port (SO_REUSEPORT); the main thread watches the config, serves
// /metrics merged from every worker (counters summed, exemplars kept), and drains them all on SIGTERM.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually } from '@sre-stack/runtime/testing';
import { sample, startProxy, startUpstream } from '../helpers/proxy.ts';

describe('cluster mode', () => {
  it('serves from several workers, merges their metrics, reloads them all, and drains on SIGTERM', async () => {
    const upstream = await startUpstream();
    const yaml = (body: string) => `
routes:
  - name: static
    match: { path: /static }
    static: { body: "${body}" }
  - name: main
    match: { pathPrefix: / }
    upstream: { targets: [${upstream.url}] }
    policies:
      retry: { retries: 1 }
`;
    const proxy = await startProxy(yaml('first'), { workers: 2 });
    try {
      const listening = proxy.process.lines.find((line) => line.msg === 'listening');
      assert.equal(listening?.workers, 2);
      const workers = (await (await fetch(`${proxy.adminUrl}/workers`)).json()) as { workers: unknown[] };
      assert.equal(workers.workers.length, 2);
      // Separate connections, so that round-robin accepts spread them over the workers.
      const statuses = await Promise.all(
        Array.from({ length: 40 }, () =>
          fetch(`${proxy.url}/status/200`, { keepalive: false }).then((response) => response.status),
        ),
      );
      assert.ok(statuses.every((status) => status === 200));
      const metrics = await proxy.metrics();
      assert.equal(
        sample(metrics, 'proxy_requests_total', { route: 'main', method: 'GET', code: '200' }),
        40,
      );
      assert.equal(sample(metrics, 'proxy_request_duration_seconds_count', { route: 'main' }), 40);
      assert.match(
        metrics,
        /proxy_request_duration_seconds_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/,
      );
      assert.ok((sample(metrics, 'process_resident_memory_bytes') ?? 0) > 0);
      assert.match(metrics, /# EOF\n$/);

      await proxy.writeConfig(yaml('second'));
      await eventually(async () => {
        const bodies = await Promise.all(
          Array.from({ length: 10 }, async () =>
            (await fetch(`${proxy.url}/static`, { keepalive: false })).text(),
          ),
        );
        assert.deepEqual([...new Set(bodies)], ['second']);
      }, 15_000);

      const exitCode = await proxy.stop();
      const lastLines = proxy.process.lines.slice(-8).map((line) => JSON.stringify(line));
      assert.equal(
        exitCode,
        0,
        `exit code ${exitCode}; last lines:\n${lastLines.join('\n')}\n${proxy.process.stderr.join('\n')}`,
      );
    } finally {
      await proxy.stop();
      await upstream.stop();
    }
  });
});
