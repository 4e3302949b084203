// HTTPS with a local CA: `proxy certs` makes the CA and certificate; examples/hello-sre.yaml
// serves "Hello SRE!" as text/plain over HTTPS and redirects HTTP. The automated test its spec asks for:
// with the generated CA as the only trust root HTTPS works, the body is exactly "Hello SRE!" with a
// text/plain content type; a client without the CA is refused; HTTP redirects.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { PROXY_BIN, sample } from '../helpers/proxy.ts';

const run = promisify(execFile);
const EXAMPLE = new URL('../../../examples/hello-sre.yaml', import.meta.url).pathname;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, ca?: Buffer, servername = 'localhost'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = {
      host: '127.0.0.1',
      port: target.port,
      path: target.pathname + target.search,
      headers: { host: target.host },
    };
    const callback = (response: import('node:http').IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    };
    const request =
      target.protocol === 'https:'
        ? // Only the given CA: not the system store, not NODE_EXTRA_CA_CERTS.
          httpsRequest({ ...options, servername, ca: ca ? [ca] : [], agent: false }, callback)
        : httpRequest(options, callback);
    request.on('error', reject);
    request.end();
  });
}

describe('HTTPS with a local CA: HTTPS with a local CA', () => {
  let certs: string;
  let proxy: RunningProcess;
  let httpPort: number;
  let tlsPort: number;
  let metricsPort: number;
  let ca: Buffer;

  before(async () => {
    certs = await mkdtemp(join(tmpdir(), 'hello-sre-'));
    await run(
      process.execPath,
      [PROXY_BIN, 'certs', '--dir', certs, '--host', 'localhost', '--host', 'proxy'],
      {
        env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
      },
    );
    ca = await readFile(join(certs, 'ca.crt'));
    proxy = startProcess(PROXY_BIN, {
      args: ['--config', EXAMPLE, '--port', '0', '--tls-port', '0', '--metrics-port', '0', '--workers', '1'],
      env: { TLS_CERT_FILE: join(certs, 'tls.crt'), TLS_KEY_FILE: join(certs, 'tls.key') },
    });
    const line = await proxy.waitForLine((entry) => entry.msg === 'listening', 30_000);
    httpPort = line.port as number;
    tlsPort = line.tls_port as number;
    metricsPort = line.metrics_port as number;
  });
  after(async () => {
    await proxy?.stop();
    await rm(certs, { recursive: true, force: true });
  });

  it('proxy certs wrote the CA and a certificate for the names asked, keys 0600', async () => {
    for (const name of ['ca.key', 'tls.key'])
      assert.equal((await stat(join(certs, name))).mode & 0o777, 0o600);
    const again = await run(process.execPath, [PROXY_BIN, 'certs', '--dir', certs, '--host', 'localhost'], {
      env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
    });
    assert.match(again.stdout, /^kept .*ca\.crt/m, 'idempotent: the CA is kept');
    assert.match(again.stdout, /^kept .*tls\.crt/m, 'and so is a certificate that is still good');
  });

  it('serves exactly "Hello SRE!" as text/plain over HTTPS, trusting only the generated CA', async () => {
    const answer = await get(`https://localhost:${tlsPort}/`, ca);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'Hello SRE!');
    assert.match(String(answer.headers['content-type']), /^text\/plain(;|$)/);
    const proxyName = await get(`https://proxy:${tlsPort}/`, ca, 'proxy');
    assert.equal(proxyName.body, 'Hello SRE!', 'every --host name is in the certificate');
  });

  it('is refused by a client that does not trust the CA', async () => {
    await assert.rejects(get(`https://localhost:${tlsPort}/`), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      return true;
    });
  });

  it('redirects every HTTP request to HTTPS, keeping host, path and query and naming the TLS port', async () => {
    const answer = await get(`http://localhost:${httpPort}/some/path?q=1&r=2`);
    assert.equal(answer.status, 308);
    assert.equal(answer.headers.location, `https://localhost:${tlsPort}/some/path?q=1&r=2`);
    const followed = await get(String(answer.headers.location), ca);
    assert.equal(followed.body, 'Hello SRE!');
  });

  it('has the SLIs in its metrics: availability, latency, TLS handshake errors, certificate expiry', async () => {
    // A plain-HTTP request to the TLS port fails its handshake. (Node clients check the chain after the
    // handshake and just close, so the refusal above does not count as one; curl sends unknown_ca.)
    await get(`http://localhost:${tlsPort}/`).catch(() => undefined);
    const page = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.ok(
      (sample(page, 'proxy_responses_total', { route: 'hello', code_class: '2xx', decided_by: 'static' }) ??
        0) >= 3,
    );
    assert.equal(
      sample(page, 'proxy_responses_total', {
        route: 'https_redirect',
        code_class: '3xx',
        decided_by: 'redirect',
      }),
      1,
    );
    assert.ok((sample(page, 'proxy_request_duration_seconds_count', { route: 'hello' }) ?? 0) >= 3);
    assert.ok(
      (sample(page, 'proxy_tls_handshakes_total', { listener: 'https', protocol: 'TLSv1.3' }) ?? 0) >= 3,
    );
    assert.equal(
      sample(page, 'proxy_tls_handshake_errors_total', { listener: 'https', reason: 'http_request' }),
      1,
    );
    const expiry = sample(page, 'proxy_tls_certificate_expiry_timestamp_seconds', { listener: 'https' }) ?? 0;
    assert.ok(expiry > Date.now() / 1000 + 80 * 86_400, 'the 90-day certificate is served');
  });
});

describe('HTTPS with a local CA: the file and its overrides', () => {
  it('without certificate files, says how to make them and exits 1', async () => {
    const [port, tlsPort] = [await freePort(), await freePort()];
    const failed = await run(
      process.execPath,
      [
        PROXY_BIN,
        '--config',
        EXAMPLE,
        '--port',
        String(port),
        '--tls-port',
        String(tlsPort),
        '--metrics-port',
        '0',
        '--workers',
        '1',
      ],
      {
        env: {
          ...process.env,
          OTEL_SDK_DISABLED: 'true',
          TLS_CERT_FILE: '/nonexistent/tls.crt',
          TLS_KEY_FILE: '/nonexistent/tls.key',
        },
      },
    ).catch((error) => error);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /cannot read the TLS certificate \/nonexistent\/tls\.crt \(no such file\); create .*proxy certs/,
    );
  });

  it('serves HTTPS from every worker of a cluster too', async () => {
    const certs = await mkdtemp(join(tmpdir(), 'hello-sre-'));
    await run(process.execPath, [PROXY_BIN, 'certs', '--dir', certs, '--host', 'localhost'], {
      env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
    });
    // Fixed free ports: node:cluster would share one handle between two listeners asking for port 0.
    const [port, tlsPort] = [await freePort(), await freePort()];
    const proxy = startProcess(PROXY_BIN, {
      args: [
        '--config',
        EXAMPLE,
        '--port',
        String(port),
        '--tls-port',
        String(tlsPort),
        '--metrics-port',
        '0',
        '--workers',
        '2',
      ],
      env: { TLS_CERT_FILE: join(certs, 'tls.crt'), TLS_KEY_FILE: join(certs, 'tls.key') },
    });
    try {
      const line = await proxy.waitForLine((entry) => entry.msg === 'listening', 30_000);
      assert.equal(line.tls_port, tlsPort);
      const ca = await readFile(join(certs, 'ca.crt'));
      for (let i = 0; i < 4; i++)
        assert.equal((await get(`https://localhost:${tlsPort}/`, ca)).body, 'Hello SRE!');
      assert.equal((await get(`http://localhost:${port}/`)).status, 308);
    } finally {
      await proxy.stop();
      await rm(certs, { recursive: true, force: true });
    }
  });
});
