// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in config text is the syntax under test.
// Finding 2, secrets in the open: /config showed x-auth and friends, the prober showed a probe URL's
// password and query token in /probes, probe_info{url} and its logs, and the admin/metrics listeners
// could not be kept off the network.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@sre-stack/runtime/testing';
import { output, startService, startUpstream } from './bins.ts';

const SECRETS = ['hunter2-literal', 'jwt-literal-eyJ', 't-secret-991', 'pa55word', 'tok-123', 'alice'];

function assertNoSecret(text: string, where: string) {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows ${secret}`);
}

describe('finding 2: secrets', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  test('the proxy /config hides header values off the allow-list and every substituted value', async () => {
    const proxy = await startService(
      'proxy',
      `routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: ["${upstream.url}"] }
    rewrite:
      requestHeaders:
        set:
          x-auth: hunter2-literal
          x-jwt: jwt-literal-eyJ
          x-tenant: "\${TENANT_SECRET}"
          content-type: application/json
`,
      [],
      { TENANT_SECRET: 't-secret-991' },
    );
    try {
      const text = await (await fetch(`${proxy.adminUrl}/config`)).text();
      assertNoSecret(text, '/config');
      assert.match(text, /"x-auth": "\[redacted\]"/);
      assert.match(text, /"content-type": "application\/json"/);
      assertNoSecret(output(proxy.process), 'the proxy log');
    } finally {
      await proxy.stop();
    }
  });

  test('the prober shows a probe URL without its password or token: /probes, probe_info, logs', async () => {
    const { port } = new URL(upstream.url);
    const prober = await startService(
      'prober',
      `probes:
  - name: secret-url
    url: http://alice:pa55word@127.0.0.1:${port}/health?token=tok-123&page=1
    every: 200ms
    timeout: 150ms
`,
    );
    try {
      await prober.process.waitForLine((line) => line.msg === 'probe succeeded', 15_000);
      const probes = await (await fetch(`${prober.adminUrl}/probes`)).text();
      assertNoSecret(probes, '/probes');
      assert.match(probes, /"url": "http:\/\/127\.0\.0\.1:\d+\/health\?token=\[redacted\]&page=1"/);
      const metrics = await (await fetch(`${prober.adminUrl}/metrics`)).text();
      assertNoSecret(metrics, '/metrics');
      assert.match(
        metrics,
        /probe_info\{[^}]*url="http:\/\/127\.0\.0\.1:\d+\/health\?token=\[redacted\]&page=1"/,
      );
      assertNoSecret(output(prober.process), 'the prober log');
    } finally {
      await prober.stop();
    }
  });

  test('--metrics-host / SERVER_METRICS_HOST keeps the metrics listener on loopback', async (t) => {
    const server = await startService('server', undefined, [], { SERVER_METRICS_HOST: '127.0.0.1' });
    try {
      assert.equal((await fetch(`${server.adminUrl}/healthz`)).status, 200);
      const external = Object.values(networkInterfaces())
        .flat()
        .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
      if (!external) {
        t.diagnostic('no non-loopback IPv4 address on this host: only the loopback bind was checked');
        return;
      }
      const reachable = (port: number) =>
        new Promise<boolean>((resolve) => {
          const socket = connect(port, external);
          socket.once('connect', () => resolve(socket.destroy() && true));
          socket.once('error', () => resolve(false));
        });
      await eventually(async () =>
        assert.equal(await reachable(server.port), true, 'the API is on every interface'),
      );
      assert.equal(
        await reachable(server.metricsPort),
        false,
        'the metrics listener is not reachable from outside',
      );
    } finally {
      await server.stop();
    }
  });
});
