import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfigText } from '@sre-stack/runtime';
import {
  chaosProfileSchema,
  DEFAULT_PROFILE,
  describeProfile,
  MAX_LATENCY_MS,
  parseProfileDocument,
} from '../../src/profile.ts';
import { STATUS_CODES } from '../../src/status-codes.ts';

function valid(input: unknown) {
  const result = parseProfileDocument(input);
  assert.ok(result.ok, `expected valid: ${JSON.stringify(result)}`);
  return result.document;
}

function issues(input: unknown) {
  const result = parseProfileDocument(input);
  assert.ok(!result.ok, `expected invalid: ${JSON.stringify(input)}`);
  return result.issues;
}

describe('chaos profile schema', () => {
  it('an empty document is the original behaviour and leaves the on/off switch alone', () => {
    const document = valid({});
    assert.equal(document.enabled, undefined);
    assert.deepEqual(document.profile, DEFAULT_PROFILE);
    assert.equal(document.profile.errorProbability, 1);
    assert.deepEqual(document.profile.latency, { distribution: 'uniform', min: 0, max: 500 });
    assert.deepEqual(
      document.profile.codes.map((code) => code.value),
      [...STATUS_CODES],
    );
  });

  it('parses every latency distribution, with defaults for the bounds', () => {
    assert.deepEqual(valid({ latency: { distribution: 'fixed', delay: '1s' } }).profile.latency, {
      distribution: 'fixed',
      delay: 1000,
    });
    assert.deepEqual(valid({ latency: { distribution: 'uniform', max: '2s' } }).profile.latency, {
      distribution: 'uniform',
      min: 0,
      max: 2000,
    });
    assert.deepEqual(
      valid({ latency: { distribution: 'normal', mean: '200ms', stddev: '50ms', max: '1s' } }).profile
        .latency,
      { distribution: 'normal', mean: 200, stddev: 50, min: 0, max: 1000 },
    );
    assert.deepEqual(valid({ latency: { distribution: 'exponential', mean: '100ms' } }).profile.latency, {
      distribution: 'exponential',
      mean: 100,
      min: 0,
      max: MAX_LATENCY_MS,
    });
  });

  it('accepts codes as a list, as classes, and as weights', () => {
    assert.deepEqual(valid({ codes: [503, 500, 503] }).profile.codes, [
      { value: 500, weight: 1 },
      { value: 503, weight: 1 },
    ]);
    const fiveHundreds = valid({ codes: ['5xx'] }).profile.codes.map((code) => code.value);
    assert.deepEqual(fiveHundreds, [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511]);
    assert.deepEqual(valid({ codes: { 503: 1, 500: 3 } }).profile.codes, [
      { value: 500, weight: 3 },
      { value: 503, weight: 1 },
    ]);
  });

  it('weights are finite and bounded: 1e308 is refused, not summed to Infinity', () => {
    const found = issues({ codes: { 500: 1e308, 503: 1e308 } });
    assert.ok(
      found.some((issue) => issue.field === 'codes.500' && /at most 1000000/.test(issue.message)),
      JSON.stringify(found),
    );
    assert.ok(issues({ codes: { 500: 1_000_001 } }).length > 0);
    assert.deepEqual(valid({ codes: { 500: 1_000_000, 503: 1 } }).profile.codes.length, 2);
  });

  it('names the field and the problem', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ error_probability: 1.5 }, 'error_probability', /^must be at most 1, not 1.5$/],
      [{ error_probability: 'high' }, 'error_probability', /^expected a number, not the text "high"$/],
      [{ enabled: 'yes' }, 'enabled', /^expected true or false/],
      [
        { latency: { distribution: 'gamma' } },
        'latency.distribution',
        /^"gamma" is not allowed; use one of: fixed, uniform, normal, exponential$/,
      ],
      [{ latency: { distribution: 'fixed' } }, 'latency.delay', /^missing: write a duration like 3s, 500ms/],
      [{ latency: { distribution: 'fixed', delay: 3 } }, 'latency.delay', /bare number \(3\) has no unit/],
      [{ latency: { distribution: 'fixed', delay: 'soon' } }, 'latency.delay', /duration/],
      [{ latency: { distribution: 'fixed', delay: '2m' } }, 'latency.delay', /at most 60s/],
      [{ latency: { distribution: 'uniform', min: '1s', max: '10ms' } }, 'latency.max', /less than min/],
      [{ latency: { distribution: 'uniform', min: '1s' } }, 'latency.max', /less than min/],
      [{ codes: [500, 499] }, 'codes[1]', /499 is not a supported status code/],
      [{ codes: ['6xx'] }, 'codes[0]', /status code such as 503 or a class/],
      [{ codes: [] }, 'codes', /at least one/],
      [{ codes: 'all' }, 'codes', /list of status codes .* or a map/],
      [{ codes: { 499: 1 } }, 'codes.499', /not a supported status code/],
      [{ codes: { 500: -1, 503: 1 } }, 'codes.500', /0 or more/],
      [{ codes: { 500: 0 } }, 'codes', /weight above 0/],
      [{ surprise: true }, 'surprise', /unknown field "surprise"/],
      [{ latency: { distribution: 'fixed', delay: '1s', jitter: '1s' } }, 'latency.jitter', /unknown field/],
      [[], '(body)', /expected a mapping/],
      [null, '(body)', /expected a mapping/],
    ];
    for (const [input, field, message] of cases) {
      const found = issues(input);
      const issue = found.find((candidate) => candidate.field === field);
      assert.ok(issue, `${JSON.stringify(input)}: no issue for ${field} in ${JSON.stringify(found)}`);
      assert.match(issue.message, message, JSON.stringify(input));
    }
  });

  it('describeProfile gives back a document that parses to the same profile', () => {
    const documents = [
      {},
      { error_probability: 0.3, latency: { distribution: 'fixed', delay: '1.5s' }, codes: ['4xx'] },
      { latency: { distribution: 'normal', mean: '200ms', stddev: '50ms', min: '10ms', max: '1s' } },
      { latency: { distribution: 'exponential', mean: '100ms' }, codes: { 500: 3, 503: 1 } },
    ];
    for (const input of documents) {
      const { profile } = valid(input);
      assert.deepEqual(valid(describeProfile(profile)).profile, profile, JSON.stringify(input));
    }
    assert.deepEqual(describeProfile(DEFAULT_PROFILE).latency, {
      distribution: 'uniform',
      min: '0ms',
      max: '500ms',
    });
  });
});

describe('the YAML file', () => {
  it('the shipped example is valid and is the default profile', async () => {
    const file = fileURLToPath(new URL('../../flaky-server.yaml', import.meta.url));
    const text = await readFile(file, 'utf8');
    assert.match(text, /^# yaml-language-server: \$schema=\.\/schema\/flaky-server\.schema\.json$/m);
    const document = parseConfigText(text, file, chaosProfileSchema);
    assert.deepEqual(document.profile, DEFAULT_PROFILE);
  });

  it('reports problems with their line in the file', () => {
    const text =
      'error_probability: 0.5\nlatency:\n  distribution: fixed\n  delay: forever\ncodes: {500: 2, 499: 1}\n';
    assert.throws(
      () => parseConfigText(text, 'chaos.yaml', chaosProfileSchema),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const messages = error.issues.map((issue) => `${issue.line}:${issue.path}`);
        assert.ok(messages.includes('4:latency.delay'), messages.join(', '));
        assert.ok(
          error.issues.some((issue) => issue.path === 'codes.499'),
          messages.join(', '),
        );
        return true;
      },
    );
  });

  it('reads integer map keys as codes', () => {
    const document = parseConfigText('codes:\n  500: 5\n  503: 1\n', 'chaos.yaml', chaosProfileSchema);
    assert.deepEqual(document.profile.codes, [
      { value: 500, weight: 5 },
      { value: 503, weight: 1 },
    ]);
  });
});
