// `proxy certs`: a local certificate authority and a server certificate it signs, in one folder:
//   ca.crt   the CA certificate: what clients trust (curl --cacert, NODE_EXTRA_CA_CERTS, a browser)
//   ca.key   the CA's private key (0600): only `proxy certs` reads it, to sign leaves
//   tls.crt  the server certificate for the given names (and localhost, 127.0.0.1, ::1)
//   tls.key  its private key (0600)
// Running it again is safe: an existing CA is kept (so clients that trust it keep working), and the leaf
// is only issued again when it is missing, expires within `renewBeforeDays`, lacks a requested name, does
// not match its key, or was not signed by this CA.
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CERT_MODE, KEY_MODE, readIfExists, writeAtomically } from './files.ts';
import { EC_SIGNING, generateKeyPair, importSigningKey, privateKeyPem } from './keys.ts';
import { x509 } from './x509.ts';

const DAY_MS = 86_400_000;

export interface CertificateOptions {
  dir: string;
  /** DNS names and IP addresses for the server certificate; localhost and loopback are always added. */
  hosts: string[];
  /** Leaf validity. Default 90 days. */
  leafDays?: number;
  /** Issue the leaf again when it expires within this many days. Default 30. */
  renewBeforeDays?: number;
  /** CA validity. Default 10 years. */
  caDays?: number;
  now?: Date;
}

export type FileAction = 'created' | 'kept' | 'renewed';

export interface CertificateResult {
  ca: { action: FileAction; file: string; notAfter: Date; reason?: string };
  leaf: {
    action: FileAction;
    file: string;
    keyFile: string;
    notAfter: Date;
    names: string[];
    reason?: string;
  };
}

export const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];

export function certificateNames(hosts: readonly string[]): string[] {
  const names: string[] = [];
  for (const host of [...hosts, ...DEFAULT_NAMES]) {
    const name = host
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

export async function ensureCertificates(options: CertificateOptions): Promise<CertificateResult> {
  const now = options.now ?? new Date();
  const names = certificateNames(options.hosts);
  for (const name of names) {
    if (
      isIP(name) === 0 &&
      !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)
    ) {
      throw new Error(`"${name}" is neither a host name nor an IP address`);
    }
  }
  await mkdir(options.dir, { recursive: true });
  const caFile = join(options.dir, 'ca.crt');
  const caKeyFile = join(options.dir, 'ca.key');
  const leafFile = join(options.dir, 'tls.crt');
  const leafKeyFile = join(options.dir, 'tls.key');

  const ca = await ensureCa(caFile, caKeyFile, now, options.caDays ?? 3650);
  const renewBeforeMs = (options.renewBeforeDays ?? 30) * DAY_MS;
  const reason = await leafProblem(leafFile, leafKeyFile, ca.certificate, names, now, renewBeforeMs);
  if (reason === undefined) {
    const leaf = new X509Certificate((await readIfExists(leafFile)) as string);
    return {
      ca: ca.result,
      leaf: { action: 'kept', file: leafFile, keyFile: leafKeyFile, notAfter: new Date(leaf.validTo), names },
    };
  }
  const existed = (await readIfExists(leafFile)) !== undefined;
  const notAfter = new Date(now.getTime() + (options.leafDays ?? 90) * DAY_MS);
  const keys = await generateKeyPair();
  const signing = await importSigningKey(ca.keyPem);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [names[0] as string] }],
    issuer: ca.peculiar.subject,
    // An hour back: a client whose clock runs a little behind still accepts it.
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter,
    signingKey: signing.key,
    signingAlgorithm: signing.algorithm,
    publicKey: keys.publicKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        names.map((name) => ({ type: isIP(name) === 0 ? ('dns' as const) : ('ip' as const), value: name })),
        false,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.peculiar),
    ],
  });
  await writeAtomically(leafKeyFile, await privateKeyPem(keys.privateKey), KEY_MODE);
  await writeAtomically(leafFile, leaf.toString('pem'), CERT_MODE);
  return {
    ca: ca.result,
    leaf: {
      action: existed ? 'renewed' : 'created',
      file: leafFile,
      keyFile: leafKeyFile,
      notAfter,
      names,
      reason,
    },
  };
}

interface Ca {
  certificate: X509Certificate;
  peculiar: InstanceType<typeof x509.X509Certificate>;
  keyPem: string;
  result: CertificateResult['ca'];
}

async function ensureCa(caFile: string, keyFile: string, now: Date, days: number): Promise<Ca> {
  const certPem = await readIfExists(caFile);
  const keyPem = await readIfExists(keyFile);
  if (certPem !== undefined) {
    if (keyPem === undefined) {
      throw new Error(
        `${caFile} exists but ${keyFile} does not: without the CA's key no certificate can be signed. Restore the key, or remove ${caFile} to start a new CA (clients must then trust the new one).`,
      );
    }
    const certificate = new X509Certificate(certPem);
    if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new Error(`${keyFile} is not the key of ${caFile}`);
    }
    const notAfter = new Date(certificate.validTo);
    if (notAfter.getTime() > now.getTime()) {
      return {
        certificate,
        peculiar: new x509.X509Certificate(certPem),
        keyPem,
        result: { action: 'kept', file: caFile, notAfter },
      };
    }
  }
  const replacing = certPem !== undefined;
  const keys = await generateKeyPair();
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const peculiar = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: ['sre-stack local CA'] }, { O: ['sre-stack'] }],
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter,
    keys,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      // A CA that signs leaves only (path length 0).
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const newKeyPem = await privateKeyPem(keys.privateKey);
  const pem = peculiar.toString('pem');
  await writeAtomically(keyFile, newKeyPem, KEY_MODE);
  await writeAtomically(caFile, pem, CERT_MODE);
  return {
    certificate: new X509Certificate(pem),
    peculiar,
    keyPem: newKeyPem,
    result: {
      action: replacing ? 'renewed' : 'created',
      file: caFile,
      notAfter,
      reason: replacing ? 'the CA had expired' : undefined,
    },
  };
}

/** Why the leaf must be issued again, or undefined when it is good. */
async function leafProblem(
  file: string,
  keyFile: string,
  ca: X509Certificate,
  names: readonly string[],
  now: Date,
  renewBeforeMs: number,
): Promise<string | undefined> {
  const pem = await readIfExists(file);
  const keyPem = await readIfExists(keyFile);
  if (pem === undefined) return 'no certificate yet';
  if (keyPem === undefined) return 'its key is missing';
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(pem);
  } catch {
    return 'the certificate file cannot be read';
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return 'the key does not match the certificate';
  } catch {
    return 'the key file cannot be read';
  }
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return 'it was not signed by this CA';
  const expiresAt = new Date(leaf.validTo).getTime();
  if (expiresAt - now.getTime() <= renewBeforeMs) return `it expires on ${new Date(expiresAt).toISOString()}`;
  const missing = names.filter((name) =>
    isIP(name) === 0
      ? leaf.checkHost(name, { wildcards: false }) === undefined
      : leaf.checkIP(name) === undefined,
  );
  if (missing.length > 0) return `it does not cover ${missing.join(', ')}`;
  return undefined;
}

/** A positive 128-bit serial number (RFC 5280: positive, at most 20 octets, unpredictable). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}
