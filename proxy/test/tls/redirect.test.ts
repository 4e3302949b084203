import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handshakeErrorReason } from '../../src/tls/handshake-metrics.ts';
import { httpsLocation } from '../../src/tls/redirect.ts';

describe('HTTP to HTTPS redirect location', () => {
  it('keeps host, path and query, and names the TLS port unless it is 443', () => {
    assert.equal(
      httpsLocation('example.com:8080', '/a/b?x=1&y=2', 8443),
      'https://example.com:8443/a/b?x=1&y=2',
    );
    assert.equal(httpsLocation('example.com', '/', 443), 'https://example.com/');
    assert.equal(httpsLocation('[::1]:8080', '/p', 8443), 'https://[::1]:8443/p');
    assert.equal(httpsLocation('localhost:80', 'http://localhost/x?q', 443), 'https://localhost/x?q');
  });
});

describe('TLS handshake error reasons', () => {
  const reason = (code: string, message = '') =>
    handshakeErrorReason(Object.assign(new Error(message), { code }));
  it('maps OpenSSL errors to a closed set', () => {
    assert.equal(reason('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'unknown_ca');
    assert.equal(reason('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN'), 'bad_certificate');
    assert.equal(reason('ERR_SSL_HTTP_REQUEST'), 'http_request');
    assert.equal(reason('ERR_SSL_UNSUPPORTED_PROTOCOL'), 'protocol_version');
    assert.equal(reason('ERR_SSL_NO_SHARED_CIPHER'), 'no_shared_cipher');
    assert.equal(reason('ECONNRESET'), 'reset');
    assert.equal(reason('ERR_TLS_HANDSHAKE_TIMEOUT'), 'timeout');
    assert.equal(reason('SOMETHING_ELSE', 'who knows'), 'other');
  });
});
