import assert from 'node:assert/strict';
import { STATUS_CODES as NODE_STATUS_TEXT } from 'node:http';
import { describe, it } from 'node:test';
import {
  describeCodes,
  isSupportedStatusCode,
  parseStatusCode,
  STATUS_CODES,
  SUPPORTED_CODES_TEXT,
  statusText,
} from '../../src/status-codes.ts';

// The list in the original's internal/server/status.go, written out independently.
const GO_LIST = [
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
];

describe('status code table', () => {
  it('holds exactly the codes the Go server accepts, ascending', () => {
    assert.deepEqual([...STATUS_CODES], GO_LIST);
    assert.equal(STATUS_CODES.length, 61);
  });

  it('has a reason phrase for every code', () => {
    for (const code of STATUS_CODES) assert.notEqual(statusText(code), '', `no text for ${code}`);
  });

  it("uses Go's phrases where they differ from Node's", () => {
    assert.equal(statusText(413), 'Request Entity Too Large');
    assert.equal(statusText(414), 'Request URI Too Long');
    assert.equal(statusText(416), 'Requested Range Not Satisfiable');
    assert.equal(statusText(418), "I'm a teapot");
    assert.equal(statusText(422), 'Unprocessable Entity');
    assert.notEqual(NODE_STATUS_TEXT[413], statusText(413), 'this test documents a real difference');
  });

  it('leaves the codes Go knows but does not accept out', () => {
    for (const code of [199, 306, 419, 420, 425, 509, 600, 0, -200]) {
      assert.equal(isSupportedStatusCode(code), false, String(code));
      assert.equal(statusText(code), '');
    }
  });

  it('describes the codes as ranges', () => {
    assert.equal(
      SUPPORTED_CODES_TEXT,
      '100-103, 200-208, 226, 300-305, 307, 308, 400-418, 421-424, 426, 428, 429, 431, 451, 500-508, 510, 511',
    );
    assert.equal(describeCodes([1]), '1');
    assert.equal(describeCodes([]), '');
  });
});

describe('parseStatusCode', () => {
  it('accepts supported codes, with sign or leading zeros as Go strconv.Atoi does', () => {
    assert.deepEqual(parseStatusCode('503'), { ok: true, code: 503 });
    assert.deepEqual(parseStatusCode('0200'), { ok: true, code: 200 });
    assert.deepEqual(parseStatusCode('+418'), { ok: true, code: 418 });
  });

  it('refuses non-numbers with a message naming the input and the codes', () => {
    for (const text of ['abc', '', '5o3', '503.0', ' 503', '1e3', '0x1f7']) {
      const result = parseStatusCode(text);
      assert.equal(result.ok, false, text);
      if (!result.ok) assert.match(result.error, /is not a number; use one of 100-103/);
    }
  });

  it('refuses numbers outside the table', () => {
    for (const text of ['499', '600', '-200', '0', '306', '99999999999999999999']) {
      const result = parseStatusCode(text);
      assert.equal(result.ok, false, text);
      if (!result.ok) assert.match(result.error, /is not a supported status code/);
    }
  });

  it('shortens very long input in the message', () => {
    const result = parseStatusCode('x'.repeat(500));
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok(result.error.length < 200);
  });
});
