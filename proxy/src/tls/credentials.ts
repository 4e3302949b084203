// The certificate and key a TLS listener serves, read from files, with an error that says what to do
// when they are missing.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
  /** Unix time (seconds) when the certificate expires. */
  expiresAt: number;
  subject: string;
}

export async function readCredentials(certFile: string, keyFile: string): Promise<TlsCredentials> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new Error(
        `cannot read the TLS ${what} ${file} (${reason}); create a local CA and certificate with: proxy certs --dir <folder> --host <name>`,
      );
    }
  };
  // One after the other: two small files, and with both missing the certificate is always the one named.
  const cert = await read(certFile, 'certificate');
  const key = await read(keyFile, 'key');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`${certFile} is not a PEM certificate: ${(error as Error).message}`);
  }
  return {
    cert,
    key,
    expiresAt: Math.floor(new Date(certificate.validTo).getTime() / 1000),
    subject: certificate.subject.replace(/\n/g, ', '),
  };
}
