// HTTPS probes against a loopback server with a throwaway self-signed certificate made by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../src/clock.ts';
import { type HttpOutcome, HttpTransport } from '../src/runner/http.ts';
import { runDefinition } from '../src/runner/run.ts';
import type { Definition, RequestSpec } from '../src/types.ts';
import { probeDefinition } from './helpers/definitions.ts';
import { tempDir } from './helpers/fixtures.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function run(definition: Definition, transport = new HttpTransport(definition.tls)) {
  let outcome: HttpOutcome | undefined;
  const result = await runDefinition(definition, {
    request: definition.requests[0] as RequestSpec,
    transport,
    plannedAt: systemClock.now(),
    now: systemClock.now,
    location: 'test',
    report: (_result, seen) => {
      outcome = seen;
    },
  });
  return { result, outcome };
}

describe('https probes', () => {
  const available = hasOpenssl();
  if (!available && process.env.CI === 'true') {
    it('needs openssl to make a test certificate', () =>
      assert.fail('openssl is missing on this CI machine'));
    return;
  }
  let dir: string;
  let server: Server;
  let url: string;
  /** Offers HTTP/2 and HTTP/1.1 (ALPN), as HTTPS servers commonly do, and says which one it served. */
  let h2Server: Http2SecureServer;
  let h2Url: string;
  before(async () => {
    if (!available) return;
    dir = await tempDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = createServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (_request, response) => response.end('Hello SRE!'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}/`;
    h2Server = createSecureServer(
      {
        key: await readFile(join(dir, 'key.pem')),
        cert: await readFile(join(dir, 'cert.pem')),
        allowHTTP1: true,
      },
      (request, response) => response.end(`served over HTTP/${request.httpVersion}`),
    );
    await new Promise<void>((resolve) => h2Server.listen(0, '127.0.0.1', resolve));
    h2Url = `https://localhost:${(h2Server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    if (!available) return;
    server.closeAllConnections();
    server.close();
    h2Server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate as tls', { skip: !available && 'openssl not installed' }, async () => {
    const { result } = await run(probeDefinition({ name: 'untrusted', url }));
    assert.equal(result.errorType, 'tls', result.error);
    assert.ok(result.phases.tls > 0, 'the failed handshake is where the time went');
    assert.equal(result.phases.processing, 0);
  });

  it('trusts a CA file, times the handshake and reports the certificate expiry', {
    skip: !available && 'openssl not installed',
  }, async () => {
    const { result, outcome } = await run(
      probeDefinition({
        name: 'trusted',
        url,
        tls: { caFile: join(dir, 'cert.pem') },
        expect: { body: { contains: 'Hello SRE!' } },
      }),
    );
    assert.equal(result.success, true, result.error);
    assert.ok(result.phases.tls > 0, 'the handshake is a phase of its own');
    const expiry = outcome?.certificateExpiry ?? 0;
    const inTwoDays = Date.now() / 1000 + 2 * 86_400;
    assert.ok(Math.abs(expiry - inTwoDays) < 3600, `expiry ${expiry} should be about two days ahead`);
  });

  it('skips verification when told to', { skip: !available && 'openssl not installed' }, async () => {
    const { result } = await run(
      probeDefinition({ name: 'insecure', url, tls: { insecureSkipVerify: true } }),
    );
    assert.equal(result.success, true, result.error);
  });

  it('speaks HTTP/2 to a server that offers it, one connection per run', {
    skip: !available && 'openssl not installed',
  }, async () => {
    const definition = probeDefinition({
      name: 'h2',
      url: h2Url,
      tls: { caFile: join(dir, 'cert.pem') },
      expect: { body: { contains: 'served over HTTP/2.0' } },
    });
    // One transport for both runs, as a scheduled probe keeps it: the second run connects anew.
    const transport = new HttpTransport(definition.tls);
    for (const attempt of [1, 2]) {
      const { result } = await run(definition, transport);
      assert.equal(result.success, true, `run ${attempt}: ${result.error}`);
      assert.ok(result.phases.connect > 0 && result.phases.tls > 0, `run ${attempt} made its own connection`);
    }
    transport.close();
  });
});
