// The access log's direct JSON writer must give what JSON.stringify gives for the same values: the
// line is parsed by Loki and by anyone's jq, and its shortcuts only skip work, never change a byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonString, msText } from '../../src/telemetry/access-log.ts';

describe('access log values', () => {
  it('quotes strings byte for byte as JSON.stringify does', () => {
    const samples = [
      '',
      '/',
      '/api/v1/items?id=3',
      '127.0.0.1:8080',
      'curl/8.5.0',
      'say "hi"',
      'back\\slash',
      'tab\there',
      'line\nbreak',
      '\u0000\u001f',
      'del\u007f',
      'caf\u00e9',
      'emoji \u{1f600}',
      'lone \ud800 surrogate',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    ];
    for (const value of samples) assert.equal(jsonString(value), JSON.stringify(value), value);
  });

  it('writes milliseconds as String(Math.round(ms * 1000) / 1000) does', () => {
    const samples = [0, -0, 0.0004, 0.0005, 0.412, 0.4125, 1, 1.5, 1.05, 1.005, 2.9999, 12.3456789, 999.9996];
    for (let index = 0; index < 2000; index++) samples.push(index * 0.0137, index * 7.77);
    samples.push(86_400_000.123, 2_147_483.647, 5e9, Number.NaN);
    for (const ms of samples) assert.equal(msText(ms), String(Math.round(ms * 1000) / 1000), String(ms));
  });
});
