// The helpers every service's integration tests use: they must report failures clearly and never hang.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually, freePort, type RunningProcess, startProcess } from '../testing/process.ts';

const LINES_APP = fileURLToPath(new URL('./fixtures/lines-app.ts', import.meta.url));

const children: RunningProcess[] = [];
function start(options: Parameters<typeof startProcess>[1] = {}): RunningProcess {
  const child = startProcess(LINES_APP, options);
  children.push(child);
  return child;
}
after(() => Promise.all(children.map((child) => child.stop('SIGKILL'))));

describe('startProcess', () => {
  test('passes args and env, forces JSON logs, and parses stdout lines', async () => {
    const child = start({ args: ['--port', '0'], env: { FIXTURE_VALUE: 'from test', LOG_FORMAT: 'pretty' } });
    const ready = await child.waitForLine((line) => line.msg === 'ready');
    assert.deepEqual(ready.args, ['--port', '0']);
    assert.equal(ready.value, 'from test');
    assert.equal(ready.log_format, 'pretty', 'the env option wins over the default');
    await child.waitForLine((line) => line.raw === '42');
    assert.deepEqual(child.lines.slice(1, 3), [{ raw: 'plain text, not JSON' }, { raw: '42' }]);
    await eventually(() => assert.deepEqual(child.stderr, ['something on stderr']));
  });

  test('LOG_FORMAT is json unless a test says otherwise', async () => {
    const saved = process.env.LOG_FORMAT;
    process.env.LOG_FORMAT = 'pretty';
    try {
      const child = start();
      assert.equal((await child.waitForLine((line) => line.msg === 'ready')).log_format, 'json');
    } finally {
      if (saved === undefined) delete process.env.LOG_FORMAT;
      else process.env.LOG_FORMAT = saved;
    }
  });

  test('cwd option', async () => {
    const child = start({ cwd: tmpdir() });
    assert.equal((await child.waitForLine((line) => line.msg === 'ready')).cwd, tmpdir());
  });

  test('waitForLine finds lines that came before it was called', async () => {
    const child = start();
    await child.waitForLine((line) => line.raw === '42');
    assert.equal((await child.waitForLine((line) => line.msg === 'ready')).msg, 'ready');
  });

  test('waitForLine rejects after its timeout, showing the last lines', async () => {
    const child = start();
    await child.waitForLine((line) => line.raw === '42');
    await assert.rejects(
      child.waitForLine((line) => line.msg === 'never', 200),
      (error: Error) => {
        assert.match(error.message, /^no matching line within 200 ms; last lines: .*plain text, not JSON/);
        assert.match(error.message, /stderr: something on stderr/);
        return true;
      },
    );
  });

  test('waitForLine rejects as soon as the process exits without the line, with its stderr', async () => {
    const child = start({ env: { EXIT_CODE: '3' } });
    await assert.rejects(
      child.waitForLine((line) => line.msg === 'never', 10_000),
      (error: Error) => {
        assert.match(
          error.message,
          /^process exited \(3\) before the line appeared; stderr: something on stderr/,
        );
        return true;
      },
    );
    assert.equal(await child.exited, 3);
  });

  test('the last lines of a process that exits at once are still found', async () => {
    const child = start({ env: { EXIT_CODE: '0' } });
    assert.equal((await child.waitForLine((line) => line.raw === '42')).raw, '42');
    assert.equal(await child.exited, 0);
  });

  test('stop sends SIGTERM and resolves with the exit code; again after exit, the same code', async () => {
    const child = start();
    await child.waitForLine((line) => line.msg === 'ready');
    assert.equal(await child.stop(), 7);
    assert.ok(child.lines.some((line) => line.msg === 'stopping'));
    assert.equal(await child.stop(), 7);
  });

  test('stop falls back to SIGKILL when the process ignores the signal', async () => {
    const child = start({ env: { IGNORE_SIGTERM: '1' } });
    await child.waitForLine((line) => line.msg === 'ready');
    assert.equal(await child.stop('SIGTERM', 300), 'SIGKILL');
  });
});

describe('freePort', () => {
  test('returns a port that can be bound on loopback', async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('eventually', () => {
  test('retries until the function stops throwing, and returns its value', async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return 'done';
      },
      5000,
      1,
    );
    assert.equal(value, 'done');
    assert.equal(calls, 3);
  });

  test('awaits async functions', async () => {
    let calls = 0;
    assert.equal(
      await eventually(async () => (++calls < 2 ? Promise.reject(new Error('no')) : calls), 5000, 1),
      2,
    );
  });

  test('rethrows the last error once the time is up', async () => {
    let calls = 0;
    await assert.rejects(
      eventually(
        () => {
          calls++;
          throw new Error(`attempt ${calls}`);
        },
        100,
        10,
      ),
      (error: Error) => error.message === `attempt ${calls}` && calls > 1,
    );
  });
});
