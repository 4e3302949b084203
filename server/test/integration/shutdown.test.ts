// SIGTERM: stop accepting, answer what is in flight (even requests sleeping in injected latency), exit 0.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { send } from '../http-client.ts';
import { type RunningServer, startServer } from './server-process.ts';

async function flakyWithFixedDelay(server: RunningServer, delay: string): Promise<void> {
  const answer = await send(server.base, '/flaky', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true, latency: { distribution: 'fixed', delay }, codes: [503] }),
  });
  assert.equal(answer.status, 200);
}

/**
 * Waits until a request sent just before is in the server's hands, not in the kernel's accept queue
 * (where closing the listener would reset it): the server accepts connections in order, so once a
 * later request on a new connection is answered, the earlier one was accepted and read.
 */
async function inFlightReached(server: RunningServer): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await send(server.base, '/flaky')).status, 200);
}

describe('flaky-server bin: graceful shutdown', () => {
  it('answers a request sleeping in flaky latency, refuses new connections, exits 0', async () => {
    const server = await startServer();
    try {
      await flakyWithFixedDelay(server, '3s');
      const inFlight = send(server.base, '/status', { timeoutMs: 20_000 });
      await inFlightReached(server);
      const exited = server.stop();
      await server.process.waitForLine((line) => line.msg === 'shutting down');
      await assert.rejects(send(server.base, '/status', { timeoutMs: 5000 }), /ECONNREFUSED/);
      const answer = await inFlight;
      assert.deepEqual([answer.status, answer.body], [503, 'Service Unavailable\n']);
      assert.equal(await exited, 0);
      const stopped = server.process.lines.find((line) => line.msg === 'stopped');
      assert.equal(stopped?.exit_code, 0);
      const log = server.process.lines.find((line) => line.msg === 'request' && line.route === '/status');
      assert.equal(log?.status, 503);
      assert.equal(log?.delay_ms, 3000);
    } finally {
      await server.stop();
    }
  });

  it('cuts injected delays short before the drain deadline, so sleepers are answered, not dropped', async () => {
    const server = await startServer({ args: ['--drain-timeout', '2s'] });
    try {
      await flakyWithFixedDelay(server, '60s');
      const inFlight = send(server.base, '/status', { timeoutMs: 20_000 });
      await inFlightReached(server);
      const exited = server.stop();
      const answer = await inFlight;
      assert.equal(answer.status, 503);
      assert.equal(await exited, 0);
    } finally {
      await server.stop();
    }
  });

  it('exits 0 at once when idle', async () => {
    const server = await startServer();
    assert.equal(await server.stop(), 0);
    assert.ok(server.process.lines.some((line) => line.msg === 'stopped' && line.exit_code === 0));
  });
});
