import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { ensureCertificates } from '../../src/pki/local-ca.ts';

const DAY = 86_400_000;

async function handshake(port: number, ca: Buffer | undefined, servername = 'localhost'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ...(ca ? { ca: [ca] } : {}) }, () => {
      socket.end();
      resolve('ok');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('proxy certs: local CA and server certificate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'proxy-certs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates ca.crt, ca.key, tls.crt, tls.key; keys are 0600; names include localhost and loopback', async () => {
    const result = await ensureCertificates({ dir, hosts: ['proxy', 'Example.Test'] });
    assert.equal(result.ca.action, 'created');
    assert.equal(result.leaf.action, 'created');
    for (const name of ['ca.key', 'tls.key'])
      assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, name);
    for (const name of ['ca.crt', 'tls.crt'])
      assert.equal((await stat(join(dir, name))).mode & 0o777, 0o644, name);
    const leaf = new X509Certificate(await readFile(join(dir, 'tls.crt')));
    const ca = new X509Certificate(await readFile(join(dir, 'ca.crt')));
    assert.ok(ca.ca, 'the CA certificate is a CA');
    assert.ok(!leaf.ca);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    for (const host of ['proxy', 'example.test', 'localhost']) assert.equal(leaf.checkHost(host), host);
    for (const ip of ['127.0.0.1', '::1']) assert.ok(leaf.checkIP(ip), ip);
    const days = (new Date(leaf.validTo).getTime() - Date.now()) / DAY;
    assert.ok(days > 89 && days <= 90, `leaf valid ${days} days`);
  });

  it('is idempotent: a second run keeps both files byte for byte', async () => {
    const before = await Promise.all(
      ['ca.crt', 'tls.crt', 'tls.key'].map((name) => readFile(join(dir, name))),
    );
    const result = await ensureCertificates({ dir, hosts: ['proxy'] });
    assert.equal(result.ca.action, 'kept');
    assert.equal(result.leaf.action, 'kept', 'a subset of the names it covers needs no new certificate');
    const now = await Promise.all(['ca.crt', 'tls.crt', 'tls.key'].map((name) => readFile(join(dir, name))));
    assert.deepEqual(now, before);
  });

  it('renews the leaf near expiry, or for a new name, and keeps the CA', async () => {
    const ca = await readFile(join(dir, 'ca.crt'));
    const nearExpiry = await ensureCertificates({
      dir,
      hosts: ['proxy'],
      now: new Date(Date.now() + 70 * DAY),
    });
    assert.equal(nearExpiry.leaf.action, 'renewed');
    assert.match(nearExpiry.leaf.reason ?? '', /expires/);
    assert.deepEqual(await readFile(join(dir, 'ca.crt')), ca);
    const newName = await ensureCertificates({ dir, hosts: ['other.test'] });
    assert.equal(newName.leaf.action, 'renewed');
    assert.match(newName.leaf.reason ?? '', /does not cover other\.test/);
    assert.deepEqual(await readFile(join(dir, 'ca.crt')), ca);
  });

  it('refuses to go on with a CA certificate whose key is gone', async () => {
    const other = await mkdtemp(join(tmpdir(), 'proxy-certs-'));
    try {
      await ensureCertificates({ dir: other, hosts: [] });
      await unlink(join(other, 'ca.key'));
      await assert.rejects(ensureCertificates({ dir: other, hosts: [] }), /ca\.key does not/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses names that are neither host names nor IP addresses', async () => {
    await assert.rejects(ensureCertificates({ dir, hosts: ['not a name'] }), /neither a host name nor an IP/);
  });

  it('serves TLS that a client trusting only ca.crt accepts, and one without it refuses', async () => {
    const [cert, key, ca] = await Promise.all(
      ['tls.crt', 'tls.key', 'ca.crt'].map((name) => readFile(join(dir, name))),
    );
    const server = createServer({ cert, key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      assert.equal(await handshake(port, ca), 'ok');
      assert.equal(await handshake(port, undefined), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal(await handshake(port, ca, 'elsewhere.test'), 'ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
