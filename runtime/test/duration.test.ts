import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import {
  DURATION_PATTERN,
  duration,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
} from '../src/config/duration.ts';

describe('parseDuration', () => {
  test('reads Go-style durations into milliseconds', () => {
    const cases: [string, number][] = [
      ['500ms', 500],
      ['2s', 2000],
      ['1m30s', 90_000],
      ['1h', 3_600_000],
      ['1h2m3s4ms', 3_723_004],
      ['1.5s', 1500],
      ['.5s', 500],
      ['250us', 0.25],
      ['250µs', 0.25],
      ['1000000ns', 1],
      ['0', 0],
      ['  2s  ', 2000],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  test('returns undefined for anything malformed', () => {
    for (const text of ['', ' ', '5', 's', '1x', '-1s', '1 s', '1s 2s', 'ms', '1.s', '1sm', 'abc', '1d']) {
      assert.equal(parseDuration(text), undefined, JSON.stringify(text));
    }
  });
});

describe('formatDuration', () => {
  test('uses whole seconds when it can, milliseconds otherwise', () => {
    assert.equal(formatDuration(2000), '2s');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(0), '0ms');
  });

  test('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1000, 1500, 60_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});

describe('duration() zod type', () => {
  test('parses a duration string into milliseconds', () => {
    const schema = z.object({ timeout: duration() });
    assert.deepEqual(schema.parse({ timeout: '1m30s' }), { timeout: 90_000 });
  });

  test('refuses a malformed duration with a message that shows the format', () => {
    const result = duration().safeParse('10 seconds');
    assert.equal(result.success, false);
    assert.match(
      result.error?.issues[0]?.message ?? '',
      /^write a duration like 3s, 500ms or 1m30s, not "10 seconds"$/,
    );
  });

  test('refuses what no timer can wait for (over 596h), unless the field allows more', () => {
    assert.equal(duration().parse('596h'), MAX_DURATION_MS);
    // Node fires a timer above 2^31 - 1 ms at once: a longer timeout would act as almost none.
    assert.ok(MAX_DURATION_MS <= 2 ** 31 - 1);
    const result = duration().safeParse('600h');
    assert.equal(result.success, false);
    assert.equal(result.error?.issues[0]?.message, 'must be at most 596h');
    assert.equal(duration({ maxMs: 5000 }).safeParse('6s').error?.issues[0]?.message, 'must be at most 5s');
    // A max-age is never a timer: a year is fine there.
    assert.equal(duration({ maxMs: Number.POSITIVE_INFINITY }).parse('8760h'), 8760 * 3_600_000);
  });

  test('refuses numbers: YAML `timeout: 5` has no unit, which is ambiguous', () => {
    assert.equal(duration().safeParse(5).success, false);
  });

  test('its JSON Schema (for editors) carries the pattern and a description', () => {
    const json = z.toJSONSchema(duration(), { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    assert.equal(json.type, 'string');
    assert.equal(json.pattern, DURATION_PATTERN);
    assert.match(String(json.description), /Go-style duration/);
  });

  test('the pattern accepts exactly what parseDuration accepts (units required)', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    for (const text of ['500ms', '1m30s', '1.5s', '.5s', '3µs']) {
      assert.ok(pattern.test(text), text);
      assert.notEqual(parseDuration(text), undefined, text);
    }
    for (const text of ['5', '1x', '-1s', '']) assert.ok(!pattern.test(text), text);
  });
});
