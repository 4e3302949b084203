// Key pairs for the local CA and its leaves (ECDSA P-256: small, fast, accepted everywhere), and the
// PEM forms Node's TLS reads. An existing CA key may also be RSA or another curve: it is imported as is.
import { createPrivateKey, webcrypto } from 'node:crypto';
import { x509 } from './x509.ts';

type CreateParams = Parameters<typeof x509.X509CertificateGenerator.create>[0] & { signingKey: unknown };
/** The key and algorithm types as @peculiar/x509 declares them (the DOM's, which Node's match). */
export type SigningKey = CreateParams['signingKey'];
export type SigningAlgorithm = NonNullable<CreateParams['signingAlgorithm']>;
export type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

export const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export async function generateKeyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as unknown as KeyPair;
}

export async function privateKeyPem(key: SigningKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** A PEM private key as a signing CryptoKey, with the signature algorithm to use it with. */
export async function importSigningKey(
  pem: string,
): Promise<{ key: SigningKey; algorithm: SigningAlgorithm }> {
  const keyObject = createPrivateKey(pem);
  const details = keyObject.asymmetricKeyDetails ?? {};
  if (keyObject.asymmetricKeyType === 'ec') {
    const namedCurve = CURVES[details.namedCurve ?? ''];
    if (!namedCurve) throw new Error(`unsupported CA key curve ${details.namedCurve}`);
    const hash = namedCurve === 'P-256' ? 'SHA-256' : namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512';
    const key = keyObject.toCryptoKey({ name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key: key as unknown as SigningKey, algorithm: { name: 'ECDSA', hash } as SigningAlgorithm };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const key = keyObject.toCryptoKey(algorithm, false, ['sign']);
    return { key: key as unknown as SigningKey, algorithm: algorithm as SigningAlgorithm };
  }
  throw new Error(`unsupported CA key type ${keyObject.asymmetricKeyType}`);
}
