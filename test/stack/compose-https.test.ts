// HTTPS in compose: the hello-sre service (the proxy image running examples/hello-sre.yaml) serves
// "Hello SRE!" over HTTPS and redirects plain HTTP, on published ports, with start.sh's certificates
// mounted and readable by the image's user. Checked without a Docker engine: the wiring in
// docker-compose.yml, then the same file, environment and key mode on the real proxy bin.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { readText, readYaml, repoPath } from './helpers.ts';

const run = promisify(execFile);
const PROXY_BIN = repoPath('proxy/bin/proxy.mjs');

interface Service {
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  group_add?: (string | number)[];
  sysctls?: Record<string, string | number>;
}

/** `${NAME:-fallback}`, as compose writes a variable with a default. */
const variable = (name: string, fallback: string) => ['$', '{', name, ':-', fallback, '}'].join('');

const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yml');
const service = compose.services['hello-sre'] as Service;

describe('docker-compose.yml: HTTPS', () => {
  it('runs examples/hello-sre.yaml on the proxy image', () => {
    assert.ok(service, 'a hello-sre service');
    assert.deepEqual(service.build, { context: '.', dockerfile: 'proxy/Dockerfile' });
    assert.deepEqual(service.command, ['--config', '/config/examples/hello-sre.yaml']);
    assert.ok(service.volumes?.includes('./examples:/config/examples:ro'));
  });

  it('publishes 80 and 443 on configurable host ports, on the loopback address like the others', () => {
    assert.deepEqual(service.ports, [
      `${variable('BIND_ADDRESS', '127.0.0.1')}:${variable('HTTP_HOST_PORT', '8081')}:80`,
      `${variable('BIND_ADDRESS', '127.0.0.1')}:${variable('HTTPS_HOST_PORT', '8443')}:443`,
    ]);
    // The file binds 80 and 443: no --port flags or PROXY_PORT variables move them elsewhere.
    assert.equal(service.environment?.PROXY_PORT, undefined);
    assert.equal(service.environment?.PROXY_TLS_PORT, undefined);
    assert.match(readText('examples', 'hello-sre.yaml'), /^listen:\n {2}port: 80\ntls:\n {2}port: 443$/m);
    // Below 1024 without root: the image's user is not root.
    assert.equal(String(service.sysctls?.['net.ipv4.ip_unprivileged_port_start']), '0');
    assert.match(readText('proxy', 'Dockerfile'), /^USER node$/m);
  });

  it('redirects HTTP to the HTTPS port people reach, not the container’s 443', () => {
    assert.equal(service.environment?.TLS_REDIRECT_PORT, variable('HTTPS_HOST_PORT', '8443'));
    assert.match(readText('examples', 'hello-sre.yaml'), /redirectPort: \$\{TLS_REDIRECT_PORT:-null\}/);
  });

  it('mounts the certificates start.sh makes, readable by the image’s user through its group', () => {
    assert.ok(service.volumes?.includes('./certs:/certs:ro'));
    assert.equal(service.environment?.TLS_CERT_FILE, '/certs/tls.crt');
    assert.equal(service.environment?.TLS_KEY_FILE, '/certs/tls.key');
    assert.deepEqual(service.group_add, [variable('CERTS_GID', '1000')]);
    const startSh = readText('start.sh');
    assert.match(startSh, /chmod 0640 certs\/tls\.key/);
    assert.match(startSh, /CERTS_GID="\$\(id -g\)"/);
    assert.match(startSh, /export CERTS_GID/);
  });

  it('the README shows the curl that works against it', () => {
    assert.ok(readText('README.md').includes('curl --cacert certs/ca.crt https://localhost:8443/'));
  });
});

function get(url: string, ca?: Buffer): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = {
      host: '127.0.0.1',
      port: target.port,
      path: target.pathname,
      headers: { host: target.host },
    };
    const done = (response: import('node:http').IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }),
      );
    };
    const request =
      target.protocol === 'https:'
        ? httpsRequest({ ...options, servername: 'localhost', ca: ca ? [ca] : [], agent: false }, done)
        : httpRequest(options, done);
    request.on('error', reject);
    request.end();
  });
}

describe('the hello-sre service, as compose configures it, on the real proxy bin', () => {
  let certs: string;
  let proxy: RunningProcess;
  let ca: Buffer;
  let httpPort: number;
  let tlsPort: number;
  const published = '18443';

  before(async () => {
    certs = await mkdtemp(join(tmpdir(), 'compose-https-'));
    await run(process.execPath, [PROXY_BIN, 'certs', '--dir', certs, '--host', 'localhost'], {
      env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
    });
    await chmod(join(certs, 'tls.key'), 0o640); // as start.sh leaves it
    ca = await readFile(join(certs, 'ca.crt'));
    const env = service.environment ?? {};
    proxy = startProcess(PROXY_BIN, {
      // Ports 0 instead of 80/443, which need root here; everything else as compose gives it.
      args: [...(service.command ?? []).map((arg) => arg.replace('/config/examples', repoPath('examples')))],
      env: {
        PROXY_PORT: '0',
        PROXY_TLS_PORT: '0',
        PROXY_METRICS_PORT: '0',
        PROXY_WORKERS: '1',
        TLS_CERT_FILE: (env.TLS_CERT_FILE ?? '').replace('/certs', certs),
        TLS_KEY_FILE: (env.TLS_KEY_FILE ?? '').replace('/certs', certs),
        TLS_REDIRECT_PORT: published,
      },
    });
    const line = await proxy.waitForLine((entry) => entry.msg === 'listening', 30_000);
    httpPort = line.port as number;
    tlsPort = line.tls_port as number;
  });
  after(async () => {
    await proxy?.stop();
    await rm(certs, { recursive: true, force: true });
  });

  it('answers "Hello SRE!" over HTTPS, trusting only certs/ca.crt', async () => {
    const answer = await get(`https://localhost:${tlsPort}/`, ca);
    assert.deepEqual([answer.status, answer.body], [200, 'Hello SRE!']);
  });

  it('redirects plain HTTP to the published HTTPS port', async () => {
    const answer = await get(`http://localhost:${httpPort}/anything`);
    assert.equal(answer.status, 308);
    assert.equal(answer.location, `https://localhost:${published}/anything`);
  });
});
