import assert from 'node:assert/strict';
import { Agent, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLifecycle, drainHttpServer } from '../src/lifecycle.ts';
import { createLogger } from '../src/logger.ts';
import { setActiveTelemetry } from '../src/telemetry/state.ts';
import { startProcess } from '../testing/process.ts';

const lifecycleApp = fileURLToPath(new URL('./fixtures/lifecycle-app.ts', import.meta.url));

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service: 'lifecycle-test', format: 'json', destination }), lines };
}

// createLifecycle installs SIGTERM/SIGINT handlers on this very process. Each test removes the ones it
// added, so that a Ctrl-C or the runner's own SIGTERM still ends the test process normally.
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
let listenersBefore: Map<NodeJS.Signals, NodeJS.SignalsListener[]>;
beforeEach(() => {
  listenersBefore = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
});
afterEach(() => {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!listenersBefore.get(signal)?.includes(listener)) process.off(signal, listener);
    }
  }
});

/** A server whose handler the test controls, plus a way to know when a request has arrived. */
async function startServer(handler: (request: IncomingMessage, respond: (body: string) => void) => void) {
  const arrived: (() => void)[] = [];
  const server = createServer((request, response) => {
    for (const notify of arrived.splice(0)) notify();
    handler(request, (body) => response.end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    nextRequest: () => new Promise<void>((resolve) => arrived.push(resolve)),
  };
}

/** GET that resolves with the body or with 'error: …' when the connection breaks. */
function fetchText(url: string, agent?: Agent): Promise<string> {
  return new Promise((resolve) => {
    get(url, { agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
      response.on('error', (error) => resolve(`error: ${error.message}`));
    }).on('error', (error) => resolve(`error: ${error.message}`));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

describe('createLifecycle', () => {
  test('runs the hooks in the order they were added, each with the same deadline', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, exit: false, drainTimeoutMs: 5000 });
    const calls: string[] = [];
    const deadlines: number[] = [];
    const before = Date.now();
    lifecycle.onShutdown('stop accepting', (deadline) => {
      calls.push('stop accepting');
      deadlines.push(deadline);
    });
    lifecycle.onShutdown('drain', async (deadline) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      calls.push('drain');
      deadlines.push(deadline);
    });
    lifecycle.onShutdown('stop schedulers', (deadline) => {
      calls.push('stop schedulers');
      deadlines.push(deadline);
    });
    assert.equal(await lifecycle.shutdown('test'), 0);
    assert.deepEqual(calls, ['stop accepting', 'drain', 'stop schedulers']);
    assert.equal(new Set(deadlines).size, 1);
    assert.ok((deadlines[0] ?? 0) >= before + 5000);
  });

  test('telemetry is flushed after every hook', async () => {
    const { logger } = capturedLogger();
    const calls: string[] = [];
    setActiveTelemetry({
      tracesExported: true,
      logsExported: true,
      shutdown: async () => void calls.push('telemetry flushed'),
    });
    try {
      const lifecycle = createLifecycle({ logger, exit: false });
      lifecycle.onShutdown('a', () => void calls.push('a'));
      lifecycle.onShutdown('b', async () => void calls.push('b'));
      await lifecycle.shutdown('test');
      assert.deepEqual(calls, ['a', 'b', 'telemetry flushed']);
    } finally {
      setActiveTelemetry({ tracesExported: false, logsExported: false, shutdown: async () => {} });
    }
  });

  test('a failing hook makes the exit code 1, is logged by name, and the later hooks still run', async () => {
    const { logger, lines } = capturedLogger();
    const lifecycle = createLifecycle({ logger, exit: false });
    const calls: string[] = [];
    lifecycle.onShutdown('broken', () => {
      throw new Error('could not stop');
    });
    lifecycle.onShutdown('after', () => void calls.push('after'));
    assert.equal(await lifecycle.shutdown('test'), 1);
    assert.deepEqual(calls, ['after']);
    const failure = lines.find((line) => line.msg === 'shutdown step failed');
    assert.equal(failure?.hook, 'broken');
    assert.equal(failure?.level, 'error');
    assert.equal(lines.at(-1)?.msg, 'stopped');
    assert.equal(lines.at(-1)?.exit_code, 1);
  });

  test('logs why it stops and the drain bound, then the exit code', async () => {
    const { logger, lines } = capturedLogger();
    const lifecycle = createLifecycle({ logger, exit: false, drainTimeoutMs: 1234 });
    await lifecycle.shutdown('SIGTERM');
    assert.deepEqual(
      lines.map(({ msg, reason, drain_timeout_ms, exit_code }) => ({
        msg,
        reason,
        drain_timeout_ms,
        exit_code,
      })),
      [
        { msg: 'shutting down', reason: 'SIGTERM', drain_timeout_ms: 1234, exit_code: undefined },
        { msg: 'stopped', reason: undefined, drain_timeout_ms: undefined, exit_code: 0 },
      ],
    );
  });

  test('shutdown runs once: a second call returns the same result, and stopping turns true', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, exit: false });
    let runs = 0;
    lifecycle.onShutdown('count', () => void runs++);
    assert.equal(lifecycle.stopping, false);
    const first = lifecycle.shutdown('one');
    assert.equal(lifecycle.stopping, true);
    const second = lifecycle.shutdown('two');
    assert.equal(first, second);
    await first;
    assert.equal(runs, 1);
  });

  test('installs one SIGTERM and one SIGINT handler that start the shutdown', async () => {
    const { logger, lines } = capturedLogger();
    const lifecycle = createLifecycle({ logger, exit: false });
    const added = process
      .listeners('SIGTERM')
      .filter((listener) => !listenersBefore.get('SIGTERM')?.includes(listener));
    assert.equal(added.length, 1);
    assert.equal(
      process.listeners('SIGINT').filter((listener) => !listenersBefore.get('SIGINT')?.includes(listener))
        .length,
      1,
    );
    // Call the handler directly: a real signal would also reach the test runner's own handlers.
    added[0]?.('SIGTERM');
    assert.equal(lifecycle.stopping, true);
    assert.equal(await lifecycle.shutdown('ignored, already running'), 0);
    assert.equal(lines[0]?.reason, 'SIGTERM');
  });
});

describe('drainHttpServer', () => {
  // In the keep-alive tests the server would keep an idle connection for a minute, far past the drain
  // deadline: the drain resolves (rather than rejecting at the deadline) only if it closes them itself.
  const KEEP_ALIVE_MS = 60_000;

  test('lets a request in flight finish, and stops accepting new connections at once', async () => {
    let respond: ((body: string) => void) | undefined;
    const { server, url, nextRequest } = await startServer((_request, reply) => {
      respond = reply;
    });
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    const agent = new Agent({ keepAlive: true });
    try {
      const arrived = nextRequest();
      const inFlight = fetchText(`${url}/work`, agent);
      await arrived;
      const drained = drainHttpServer(server, Date.now() + 5000);
      assert.equal(server.listening, false, 'no longer accepting');
      assert.match(await fetchText(`${url}/late`), /^error: .*ECONNREFUSED/);
      respond?.('finished');
      assert.equal(await inFlight, 'finished');
      // The finished request's keep-alive connection is closed by the drain, not left to time out.
      await drained;
    } finally {
      agent.destroy();
      await closeServer(server);
    }
  });

  test('idle keep-alive connections do not hold the drain open', async () => {
    const { server, url } = await startServer((_request, reply) => reply('ok'));
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    const agent = new Agent({ keepAlive: true });
    try {
      assert.equal(await fetchText(url, agent), 'ok');
      const open = await new Promise<number>((resolve) =>
        server.getConnections((_error, count) => resolve(count)),
      );
      assert.equal(open, 1, 'the keep-alive connection is open and idle');
      await drainHttpServer(server, Date.now() + 5000);
    } finally {
      agent.destroy();
      await closeServer(server);
    }
  });

  test('at the deadline it cuts what is still open and rejects', async () => {
    const { server, url, nextRequest } = await startServer(() => {
      // Never answers.
    });
    try {
      const arrived = nextRequest();
      const stuck = fetchText(`${url}/stuck`);
      await arrived;
      await assert.rejects(drainHttpServer(server, Date.now() + 100), {
        message: 'drain deadline passed; open connections were closed',
      });
      assert.match(await stuck, /^error: /);
    } finally {
      await closeServer(server);
    }
  });

  test('a deadline already passed cuts at once', async () => {
    const { server, url, nextRequest } = await startServer(() => {});
    try {
      const arrived = nextRequest();
      const stuck = fetchText(url);
      await arrived;
      await assert.rejects(drainHttpServer(server, Date.now() - 1000), /drain deadline passed/);
      assert.match(await stuck, /^error: /);
    } finally {
      await closeServer(server);
    }
  });

  test('a server that is not listening is drained already', async () => {
    const server = createServer();
    await drainHttpServer(server, Date.now() + 1000);
  });

  test('with the lifecycle: cut connections make the exit code 1', async () => {
    const { logger, lines } = capturedLogger();
    const { server, url, nextRequest } = await startServer(() => {});
    try {
      const lifecycle = createLifecycle({ logger, exit: false, drainTimeoutMs: 100 });
      lifecycle.onShutdown('http', (deadline) => drainHttpServer(server, deadline));
      const arrived = nextRequest();
      const stuck = fetchText(url);
      await arrived;
      assert.equal(await lifecycle.shutdown('test'), 1);
      assert.match(await stuck, /^error: /);
      assert.equal(lines.find((line) => line.msg === 'shutdown step failed')?.hook, 'http');
    } finally {
      await closeServer(server);
    }
  });
});

describe('a real process: signals and exit codes', () => {
  async function startApp(t: TestContext, env: Record<string, string> = {}) {
    const app = startProcess(lifecycleApp, { env });
    // A failed assertion must not leave a draining child behind to hold the runner open.
    t.after(() => app.stop('SIGKILL'));
    const listening = await app.waitForLine((line) => line.msg === 'listening');
    return { app, url: `http://127.0.0.1:${listening.port}` };
  }

  test('SIGTERM: the request in flight completes, the hooks run, exit 0', async (t) => {
    const { app, url } = await startApp(t);
    const inFlight = fetchText(`${url}/slow?ms=300`);
    await app.waitForLine((line) => line.msg === 'request started');
    const code = await app.stop('SIGTERM');
    assert.equal(await inFlight, 'done\n');
    assert.equal(code, 0);
    const messages = app.lines.map((line) => line.msg);
    assert.deepEqual(messages.slice(messages.indexOf('shutting down')), [
      'shutting down',
      'scheduler stopped',
      'stopped',
    ]);
  });

  test('SIGINT does the same', async (t) => {
    const { app } = await startApp(t);
    assert.equal(await app.stop('SIGINT'), 0);
    assert.equal(app.lines.find((line) => line.msg === 'shutting down')?.reason, 'SIGINT');
  });

  test('work still running at the drain deadline is cut off: exit 1', async (t) => {
    const { app, url } = await startApp(t, { DRAIN_TIMEOUT_MS: '200' });
    const stuck = fetchText(`${url}/hang`);
    await app.waitForLine((line) => line.msg === 'request started');
    assert.equal(await app.stop('SIGTERM'), 1);
    assert.match(await stuck, /^error: /);
  });

  test('a second signal exits at once with 1, without waiting for the drain', async (t) => {
    const { app, url } = await startApp(t, { DRAIN_TIMEOUT_MS: '60000' });
    const stuck = fetchText(`${url}/hang`);
    await app.waitForLine((line) => line.msg === 'request started');
    app.child.kill('SIGTERM');
    await app.waitForLine((line) => line.msg === 'shutting down');
    // Refused, or reset when the connection raced into the backlog just before the listener closed.
    assert.match(
      await fetchText(url),
      /^error: .*(ECONNREFUSED|ECONNRESET)/,
      'no new requests while draining',
    );
    assert.equal(await app.stop('SIGTERM'), 1);
    assert.ok(app.lines.some((line) => line.msg === 'second signal: exiting now'));
    assert.match(await stuck, /^error: /);
  });
});
