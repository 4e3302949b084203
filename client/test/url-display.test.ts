// Contract: displayUrl strips userinfo and hides the values of sensitive query parameters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { displayUrl } from '../src/url/display.ts';

describe('displayUrl', () => {
  test('drops the password and the user name', () => {
    assert.equal(
      displayUrl('https://alice:s3cret@example.test:8443/health'),
      'https://example.test:8443/health',
    );
    assert.equal(displayUrl('http://alice@example.test/'), 'http://example.test/');
  });

  test('hides the values of sensitive query parameters, keeps the others as written', () => {
    assert.equal(
      displayUrl('http://h/p?token=abc&page=2&api_key=k&q=a%20b&Signature=s&sig=1&session=x'),
      'http://h/p?token=[redacted]&page=2&api_key=[redacted]&q=a%20b&Signature=[redacted]&sig=[redacted]&session=[redacted]',
    );
    for (const name of ['access_token', 'apikey', 'key', 'secret', 'password', 'passwd', 'pwd', 'auth']) {
      assert.equal(displayUrl(`http://h/?${name}=v`), `http://h/?${name}=[redacted]`, name);
    }
  });

  test('any name containing token, secret, password or key is sensitive', () => {
    assert.equal(
      displayUrl('http://h/?x_token_y=1&client_secret=2&db_password=3&monkey=4&keyboard=5&id=6'),
      'http://h/?x_token_y=[redacted]&client_secret=[redacted]&db_password=[redacted]&monkey=[redacted]&keyboard=[redacted]&id=6',
    );
  });

  test('so is any name containing passw, auth, credential or signature: presigned URLs, pass=, Authorization=', () => {
    assert.equal(
      displayUrl(
        'http://h/x?X-Amz-Credential=AKIA1&X-Amz-Signature=f00&X-Goog-Signature=b4r&pass=p&Authorization=Bearer%20t&credential=c&oauth_nonce=n&user=me',
      ),
      'http://h/x?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Goog-Signature=[redacted]&pass=[redacted]&Authorization=[redacted]&credential=[redacted]&oauth_nonce=[redacted]&user=me',
    );
  });

  test('a URL without secrets is unchanged, and text that is no URL loses nothing but userinfo', () => {
    assert.equal(
      displayUrl('http://127.0.0.1:8080/status?code=200'),
      'http://127.0.0.1:8080/status?code=200',
    );
    assert.equal(displayUrl('http://h/#token=fragment-is-not-sent'), 'http://h/#token=fragment-is-not-sent');
    assert.equal(displayUrl('nonsense'), 'nonsense');
  });
});
