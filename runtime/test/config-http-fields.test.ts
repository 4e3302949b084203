import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { headerFields, headerName, headerValue } from '../src/config/http-fields.ts';
import { parseConfigText } from '../src/config/load.ts';

const schema = z.strictObject({ headers: headerFields().default({}) });

describe('header names and values in a config', () => {
  test('accepts what the HTTP parsers accept', () => {
    assert.ok(headerName().safeParse('x-request-id').success);
    for (const value of ['', 'Bearer abc', 'a\tb', 'caf\u00e9', '!"#~'])
      assert.ok(headerValue().safeParse(value).success, JSON.stringify(value));
  });

  test('refuses line breaks and control characters in a value', () => {
    for (const value of ['a\nb', 'a\r\nx-injected: 1', 'nul\u0000', 'bell\u0007', 'del\u007f', '\u0100'])
      assert.equal(headerValue().safeParse(value).success, false, JSON.stringify(value));
  });

  test('a block scalar value is located, not left to fail at the first request', () => {
    const text = 'headers:\n  x-note: |\n    two\n    lines\n';
    assert.throws(() => parseConfigText(text, 'c.yaml', schema), {
      name: 'ConfigError',
      message:
        'c.yaml:2:11: headers.x-note: not a valid header value: line breaks and control characters are not allowed',
    });
  });

  test('a bad name says what is wrong with it, not zod\'s "Invalid key in record"', () => {
    assert.throws(() => parseConfigText('headers:\n  Bad Header: x\n', 'c.yaml', schema), {
      name: 'ConfigError',
      message: /^c\.yaml:2:3: headers\.Bad Header: not a valid header name$/,
    });
  });
});
