import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayUrl } from '../../src/url/display.ts';

describe('displayUrl', () => {
  it('drops the username and password', () => {
    assert.equal(displayUrl('https://user:pa55@example.test:8443/x'), 'https://example.test:8443/x');
    assert.equal(displayUrl('https://user@example.test/'), 'https://example.test/');
  });

  it('redacts the values of sensitive query parameters and keeps the rest', () => {
    assert.equal(
      displayUrl('http://h/p?a=1&token=t&API_KEY=k&my_secret=s&x-auth-token=y&sig=z&page=2'),
      'http://h/p?a=1&token=[redacted]&API_KEY=[redacted]&my_secret=[redacted]&x-auth-token=[redacted]&sig=[redacted]&page=2',
    );
    assert.equal(
      displayUrl('http://h/?passwd=1&pwd=2&session=3&auth=4&signature=5&monkey=6'),
      'http://h/?passwd=[redacted]&pwd=[redacted]&session=[redacted]&auth=[redacted]&signature=[redacted]&monkey=[redacted]',
    );
  });

  it('leaves a URL without secrets as it is', () => {
    assert.equal(displayUrl('http://127.0.0.1:8080/status?x=1'), 'http://127.0.0.1:8080/status?x=1');
  });
});
