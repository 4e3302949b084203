// @peculiar/x509 builds certificates with WebCrypto. Its decorators need reflect-metadata loaded first,
// and it is told to use Node's own WebCrypto.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
