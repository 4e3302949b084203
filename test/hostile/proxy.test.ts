// The proxy's findings, replayed against its bin: requests it cannot forward (1), a 10 MB config at
// --check and over a live one (3), SIGTERM under 50 keep-alive connections (5), and TLS handshakes held
// open (6). One proxy process serves them all, SIGTERM last.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually, startKeepAliveLoad, startProcess } from '@sre-stack/runtime/testing';
import { ensureCertificates } from '../../proxy/src/pki/local-ca.ts';
import { BINS, output, type Service, STACK_FRAME, startService, startUpstream, tempDir } from './bins.ts';

/** Writes raw bytes on a fresh connection and resolves with everything the proxy answers. */
function raw(port: number, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', () => {});
    socket.write(text);
  });
}

describe('the proxy under hostile input', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let proxy: Service;
  let tlsPort: number;
  let cleanupCerts: () => Promise<void>;
  let config: string;

  before(async () => {
    upstream = await startUpstream(2);
    const certs = await tempDir();
    cleanupCerts = certs.cleanup;
    const { leaf } = await ensureCertificates({ dir: certs.dir, hosts: [] });
    config = `routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: ["${upstream.url}"] }
    policies:
      circuitBreaker: { consecutiveFailures: 3, openFor: 60s }
tls:
  port: 0
  cert: ${leaf.file}
  key: ${leaf.keyFile}
  redirectHttp: false
  handshakeTimeout: 300ms
`;
    proxy = await startService('proxy', config, ['--tls-port', '0', '--drain-timeout', '5s']);
    const line = await proxy.process.waitForLine((entry) => entry.msg === 'listening');
    tlsPort = line.tls_port as number;
  });
  after(async () => {
    await proxy.stop('SIGKILL');
    await upstream.close();
    await cleanupCerts();
  });

  test('finding 1: OPTIONS * ten times through the proxy does not open the circuit', async () => {
    for (let i = 0; i < 10; i++) {
      const answer = await raw(proxy.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(answer, /^HTTP\/1\.1 4\d\d /, "a request the proxy cannot forward is the client's error");
    }
    assert.equal((await fetch(`${proxy.url}/after`)).status, 200, 'the circuit is still closed');
  });

  test('finding 6: a TLS connection that never completes its handshake is closed after handshakeTimeout', async () => {
    const started = Date.now();
    const answer = await raw(tlsPort, '', 10_000);
    const heldMs = Date.now() - started;
    assert.equal(answer, '');
    assert.ok(heldMs < 3000, `held for ${heldMs} ms`);
    await eventually(async () => {
      const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
      assert.match(metrics, /proxy_tls_handshake_errors_total\{[^}]*reason="timeout"[^}]*\} [1-9]/);
    });
  });

  test('finding 3: --check refuses a 10 MB file in well under a second of work, in one line', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = `${dir}/big.yaml`;
      await writeFile(file, `routes: []\n# ${'x'.repeat(10 * 1024 * 1024)}\n`);
      const check = startProcess(BINS.proxy, {
        args: ['--check', '--config', file],
        env: { OTEL_SDK_DISABLED: 'true' },
      });
      const started = Date.now();
      assert.equal(await check.exited, 1);
      const text = output(check);
      assert.match(text, /big\.yaml:1:1: the file is \d+ bytes, larger than the limit of 1 MiB/);
      assert.doesNotMatch(text, STACK_FRAME);
      // Process start-up included; the refusal itself is a stat() call.
      assert.ok(Date.now() - started < 15_000);
    } finally {
      await cleanup();
    }
  });

  test('finding 3: a 10 MB config over the live one is refused; requests keep being answered', async () => {
    const written = writeFile(proxy.configFile, `routes: []\n# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    let slowest = 0;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      assert.equal((await fetch(`${proxy.url}/during`)).status, 200);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await written;
    await proxy.process.waitForLine(
      (line) => /larger than the limit of 1 MiB/.test(String(line.msg)),
      15_000,
    );
    assert.ok(slowest < 1000, `a request waited ${slowest.toFixed(0)} ms`);
    await writeFile(proxy.configFile, config);
  });

  test('finding 5: SIGTERM under 50 busy keep-alive connections drops nothing and exits within the bound', async () => {
    const load = startKeepAliveLoad({ port: proxy.port, connections: 50, path: '/load', maxMs: 20_000 });
    await load.established(15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    load.markStop();
    proxy.process.child.kill('SIGTERM');
    const code = await proxy.process.exited;
    const exitMs = Date.now() - started;
    const report = await load.finish();
    assert.equal(report.dropped, 0, JSON.stringify(report));
    assert.equal(report.answered, report.sent, JSON.stringify(report));
    assert.equal(code, 0);
    assert.ok(exitMs < 6000, `exited after ${exitMs} ms`);
  });
});
