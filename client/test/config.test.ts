import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfigText } from '@sre-stack/runtime';
import { toDefinitions } from '../src/config/definitions.ts';
import { fnv1a32, stableOffsetMs } from '../src/config/offset.ts';
import { probesFileSchema } from '../src/config/schema.ts';
import { parseStatusMatcher } from '../src/config/status-ranges.ts';

const here = dirname(fileURLToPath(import.meta.url));
const parse = (yaml: string, env: Record<string, string> = {}) =>
  parseConfigText(yaml, 'probes.yaml', probesFileSchema, { env });

function issues(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

describe('the shipped probes.yaml', () => {
  it('follows the original schedule: /status every 3s, /flaky toggled every 10s, with env defaults', async () => {
    const text = await readFile(join(here, '..', 'probes.yaml'), 'utf8');
    assert.match(text, /^# yaml-language-server: \$schema=\.\/schema\/probes\.schema\.json/);
    const definitions = toDefinitions(parse(text));
    const status = definitions.find((definition) => definition.name === 'status');
    const toggle = definitions.find((definition) => definition.name === 'toggle-flaky');
    assert.equal(status?.requests[0]?.url, 'http://127.0.0.1:8000/status', 'through the proxy');
    assert.equal(status?.schedule.periodMs, 3000);
    assert.equal(toggle?.kind, 'action');
    assert.deepEqual(
      [toggle?.requests[0]?.method, toggle?.requests[0]?.url],
      ['POST', 'http://127.0.0.1:8080/flaky'],
    );
    assert.equal(toggle?.schedule.periodMs, 10_000);
  });

  it('points through the proxy when TARGET_URL is set (compose)', async () => {
    const text = await readFile(join(here, '..', 'probes.yaml'), 'utf8');
    const definitions = toDefinitions(
      parse(text, { TARGET_URL: 'http://proxy:8000', SERVER_URL: 'http://server:8080' }),
    );
    assert.equal(definitions[0]?.requests[0]?.url, 'http://proxy:8000/status');
    assert.equal(definitions[1]?.requests[0]?.url, 'http://server:8080/flaky');
  });
});

describe('schema errors name file:line:column', () => {
  it('refuses a timeout not shorter than the interval', () => {
    const lines = issues('probes:\n  - name: a\n    url: http://x/\n    every: 2s\n    timeout: 2s\n');
    assert.deepEqual(lines, ['probes.yaml:5:14: probes[0].timeout: must be shorter than the interval (2s)']);
  });

  it('wants exactly one of every and schedule', () => {
    const both = issues(
      'probes:\n  - name: a\n    url: http://x/\n    every: 2s\n    schedule: "* * * * * *"\n',
    );
    assert.match(both[0] ?? '', /^probes\.yaml:2:5: probes\[0\]: set exactly one of "every"/);
    const none = issues('probes:\n  - name: a\n    url: http://x/\n');
    assert.match(none[0] ?? '', /set exactly one of/);
  });

  it('refuses a bad cron expression where it is written', () => {
    const lines = issues('probes:\n  - name: a\n    url: http://x/\n    schedule: "*/3 * * *"\n');
    assert.match(lines[0] ?? '', /^probes\.yaml:4:15: probes\[0\]\.schedule: expected 5 fields/);
    const range = issues('probes:\n  - name: a\n    url: http://x/\n    schedule: "99 * * * * *"\n');
    assert.match(range[0] ?? '', /probes\[0\]\.schedule: /);
  });

  it('refuses unknown fields, bad URLs, statuses and regexes', () => {
    assert.match(
      issues('probes:\n  - name: a\n    url: http://x/\n    every: 1s\n    evry: 2s\n')[0] ?? '',
      /5:5: probes\[0\]\.evry: unknown field "evry"/,
    );
    assert.match(
      issues('probes:\n  - name: a\n    url: ftp://x/\n    every: 1s\n')[0] ?? '',
      /3:10: probes\[0\]\.url: expected an absolute http/,
    );
    assert.match(
      issues('probes:\n  - name: a\n    url: http://x/\n    every: 1s\n    expect: { status: [2x] }\n')[0] ??
        '',
      /probes\[0\]\.expect\.status/,
    );
    assert.match(
      issues(
        'probes:\n  - name: a\n    url: http://x/\n    every: 1s\n    expect: { body: { regex: "(" } }\n',
      )[0] ?? '',
      /probes\[0\]\.expect\.body\.regex: not a valid regular expression/,
    );
  });

  it('wants unique names across probes and actions', () => {
    const lines = issues(
      'server: http://s/\nprobes:\n  - { name: a, url: "http://x/", every: 1s }\nactions:\n  - { name: a, every: 5s, toggleFlaky: true }\n',
    );
    assert.match(lines[0] ?? '', /^probes\.yaml:5:13: actions\[0\]\.name: "a" is already used/);
  });

  it('wants a server for action sugar, and one kind of action', () => {
    assert.match(
      issues('actions:\n  - { name: b, every: 5s, setStatus: 503 }\n')[0] ?? '',
      /actions\[0\]: needs a server URL/,
    );
    assert.match(
      issues(
        'server: http://s/\nactions:\n  - { name: b, every: 5s, setStatus: 503, toggleFlaky: true }\n',
      )[0] ?? '',
      /actions\[0\]\.toggleFlaky: set exactly one of request, setStatus/,
    );
  });

  it('reports a missing required environment variable at its position', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose-style substitution inside YAML
    const lines = issues('probes:\n  - name: a\n    url: ${TARGET:?set TARGET}/status\n    every: 1s\n');
    assert.match(lines[0] ?? '', /^probes\.yaml:3:10: probes\[0\]\.url: required variable TARGET/);
  });
});

describe('definitions', () => {
  it('fills defaults: GET, any 2xx, timeout 80% of the interval, thresholds 3 and 2', () => {
    const [probe] = toDefinitions(parse('probes:\n  - { name: a, url: "http://x/s", every: 5s }\n'));
    assert.equal(probe?.requests[0]?.method, 'GET');
    assert.deepEqual(probe?.expect.status, [{ min: 200, max: 299 }]);
    assert.equal(probe?.timeoutMs, 4000);
    assert.equal(probe?.failureThreshold, 3);
    assert.equal(probe?.successThreshold, 2);
    assert.equal(probe?.requests[0]?.headers['user-agent'], 'sre-stack-prober/0.1');
  });

  it('expands action sugar into requests', () => {
    const definitions = toDefinitions(
      parse(
        [
          'server: http://srv:8080/',
          'actions:',
          '  - { name: break, every: 10s, setStatus: [503, 200] }',
          '  - { name: chaos, every: 10s, chaosProfile: { latency: 100ms }, server: "http://other:1" }',
          '  - { name: flip, every: 10s, toggleFlaky: true, headers: { Authorization: "Bearer t" } }',
        ].join('\n'),
      ),
    );
    const [broken, chaos, flip] = definitions;
    assert.deepEqual(
      broken?.requests.map((request) => `${request.method} ${request.url}`),
      ['POST http://srv:8080/status/503', 'POST http://srv:8080/status/200'],
    );
    assert.equal(chaos?.requests[0]?.method, 'PUT');
    assert.equal(chaos?.requests[0]?.url, 'http://other:1/flaky');
    assert.equal(chaos?.requests[0]?.body, '{"latency":"100ms"}');
    assert.equal(chaos?.requests[0]?.headers['content-type'], 'application/json');
    assert.equal(`${flip?.requests[0]?.method} ${flip?.requests[0]?.url}`, 'POST http://srv:8080/flaky');
    assert.equal(flip?.requests[0]?.headers.authorization, 'Bearer t');
  });

  it('gives cron schedules their shortest gap as interval and a sub-second offset', () => {
    const [probe] = toDefinitions(
      parse('probes:\n  - { name: c, url: "http://x/", schedule: "0,10 * * * * *" }\n'),
    );
    assert.equal(probe?.schedule.periodMs, 10_000);
    assert.equal(probe?.timeoutMs, 8000);
    assert.ok((probe?.offsetMs ?? -1) >= 0 && (probe?.offsetMs ?? 1000) < 1000);
  });

  it('accepts 5-field cron (minute first) and time zones', () => {
    const [probe] = toDefinitions(
      parse('probes:\n  - { name: c, url: "http://x/", schedule: "*/5 * * * *", timeZone: Europe/Berlin }\n'),
    );
    assert.equal(probe?.schedule.periodMs, 300_000);
    assert.equal(probe?.schedule.text, '*/5 * * * * (Europe/Berlin)');
  });
});

describe('offsets and status matchers', () => {
  it('hashes a name to a stable offset within the period', () => {
    assert.equal(stableOffsetMs('status', 3000), fnv1a32('status') % 3000);
    assert.equal(stableOffsetMs('status', 3000), stableOffsetMs('status', 3000));
    const offsets = new Set(Array.from({ length: 50 }, (_, i) => stableOffsetMs(`probe-${i}`, 1000)));
    assert.ok(offsets.size > 40, `offsets should spread, got ${offsets.size} distinct of 50`);
  });

  it('parses codes, ranges and classes', () => {
    assert.deepEqual(parseStatusMatcher(204), { min: 204, max: 204 });
    assert.deepEqual(parseStatusMatcher('200-399'), { min: 200, max: 399 });
    assert.deepEqual(parseStatusMatcher('5xx'), { min: 500, max: 599 });
    assert.equal(parseStatusMatcher('299-200'), undefined);
    assert.equal(parseStatusMatcher('600'), undefined);
  });
});
