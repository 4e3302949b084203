// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in config text is the syntax under test.
// The flaky server's findings, replayed against its bin: a 10 MB config over a live one (3), a
// substitution nested 3,000 deep at start and at reload (4), chaos weights of 1e308 (6), and SIGTERM
// under 50 keep-alive connections (5). One server process serves them all, SIGTERM last.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startKeepAliveLoad, startProcess } from '@sre-stack/runtime/testing';
import { BINS, output, type Service, STACK_FRAME, startService, tempDir } from './bins.ts';

const nested = `${'${A:-'.repeat(3000)}x${'}'.repeat(3000)}`;
const GOOD = 'error_probability: 0.5\nlatency: { distribution: fixed, delay: 0ms }\n';

/** Sends requests one after another for `ms`; resolves with the slowest answer time and the count. */
async function serveWhile(url: string, ms: number): Promise<{ slowest: number; answered: number }> {
  const until = Date.now() + ms;
  let slowest = 0;
  let answered = 0;
  while (Date.now() < until) {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    slowest = Math.max(slowest, performance.now() - started);
    answered++;
  }
  return { slowest, answered };
}

describe('flaky-server under hostile input', () => {
  let server: Service;
  before(async () => {
    server = await startService('server', GOOD, ['--drain-timeout', '5s']);
  });
  after(() => server.stop('SIGKILL'));

  test('finding 4: a substitution nested 3,000 deep at start is one located line, no stack trace', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = `${dir}/nested.yaml`;
      await writeFile(file, `error_probability: "${nested}"\n`);
      const started = startProcess(BINS.server, {
        args: ['--config', file, '--port', '0', '--metrics-port', '0'],
        env: { OTEL_SDK_DISABLED: 'true' },
      });
      assert.equal(await started.exited, 1);
      const text = output(started);
      assert.doesNotMatch(text, STACK_FRAME);
      assert.doesNotMatch(text, /Maximum call stack/);
      const fatal = started.lines.find((line) => line.level === 'fatal');
      assert.match(
        String(fatal?.msg),
        /nested\.yaml:1:20: error_probability: substitutions nest more than 16 levels deep$/,
      );
    } finally {
      await cleanup();
    }
  });

  test('finding 4: the same at reload is refused with its position; the last good config serves on', async () => {
    await writeFile(server.configFile, `error_probability: "${nested}"\n`);
    const refused = await server.process.waitForLine(
      (line) => /config reload refused/.test(String(line.msg)) && /nest more than/.test(String(line.msg)),
      15_000,
    );
    assert.match(
      String(refused.msg),
      /config\.yaml:1:20: error_probability: substitutions nest more than 16 levels deep/,
    );
    assert.equal((await fetch(`${server.url}/status`)).status, 200);
  });

  test('finding 3: a 10 MB config written over the live one is refused at once; serving never stalls', async () => {
    const big = `error_probability: 0.5\n# ${'x'.repeat(10 * 1024 * 1024)}\n`;
    const written = writeFile(server.configFile, big);
    const served = await serveWhile(`${server.url}/status`, 1500);
    await written;
    const refused = await server.process.waitForLine(
      (line) => /larger than the limit of 1 MiB/.test(String(line.msg)),
      15_000,
    );
    assert.doesNotMatch(JSON.stringify(refused), STACK_FRAME);
    assert.ok(served.answered > 5, `only ${served.answered} answers`);
    assert.ok(served.slowest < 1000, `a request waited ${served.slowest.toFixed(0)} ms`);
  });

  test('finding 6: chaos weights of 1e308 are a validation error, not an overflow', async () => {
    const response = await fetch(`${server.url}/flaky`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"codes": {"500": 1e308, "503": 1e308}}',
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /at most 1000000/);
  });

  test('finding 5: SIGTERM under 50 busy keep-alive connections drops nothing and exits within the bound', async () => {
    await writeFile(server.configFile, GOOD);
    const load = startKeepAliveLoad({ port: server.port, connections: 50, path: '/status', maxMs: 20_000 });
    await load.established(15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    load.markStop();
    server.process.child.kill('SIGTERM');
    const code = await server.process.exited;
    const exitMs = Date.now() - started;
    const report = await load.finish();
    assert.equal(report.dropped, 0, JSON.stringify(report));
    assert.equal(report.answered, report.sent, JSON.stringify(report));
    assert.equal(code, 0);
    assert.ok(exitMs < 6000, `exited after ${exitMs} ms`);
  });
});
