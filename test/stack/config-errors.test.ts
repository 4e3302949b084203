// The three mistakes people make most in a config, in every config of every service and format:
// a value outside a closed list (the message lists what is allowed), a bare number where a duration
// goes (the message says how to write one), and broken indentation (the message says what is wrong in
// plain words, on the line to fix). The files are the shipped ones with one line changed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type ConfigIssue, parseConfigText } from '@sre-stack/runtime';
import type { ZodType } from 'zod';
import { probesFileSchema } from '../../client/src/config/schema.ts';
import { anyConfigSchema } from '../../proxy/src/adapters/index.ts';
import { chaosProfileSchema } from '../../server/src/profile.ts';
import { readText } from './helpers.ts';

function issuesOf(text: string, schema: ZodType): ConfigIssue[] {
  try {
    parseConfigText(text, 'config.yaml', schema, { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  assert.fail(`accepted:\n${text}`);
}

/** The shipped file with one line replaced (not in a comment); fails if it is not there, so the test tracks the file. */
function edit(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => line.trim().startsWith(from));
  assert.ok(index >= 0, `no ${JSON.stringify(from)} in the file`);
  const indent = (lines[index] as string).slice(0, (lines[index] as string).indexOf(from));
  lines[index] = indent + to;
  return lines.join('\n');
}

const lineOf = (text: string, fragment: string) =>
  text.split('\n').findIndex((line) => line.includes(fragment)) + 1;

interface Format {
  name: string;
  text: string;
  schema: ZodType;
  /** A closed-list field: [line as shipped, line with a value outside the list, path, allowed values]. */
  enumCase?: [string, string, string, string];
  /** A duration field: [line as shipped, line with a bare number, path]. */
  durationCase?: [string, string, string];
  /** A key line that, indented two more spaces, becomes part of the value above. */
  indentKey: string;
}

const formats: Format[] = [
  {
    name: 'flaky-server (server/flaky-server.yaml)',
    text: readText('server', 'flaky-server.yaml'),
    schema: chaosProfileSchema,
    enumCase: [
      'distribution: uniform',
      'distribution: gaussian',
      'latency.distribution',
      'fixed, uniform, normal, exponential',
    ],
    durationCase: ['max: 500ms', 'max: 500', 'latency.max'],
    indentKey: 'max: 500ms',
  },
  {
    name: 'prober (client/probes.yaml)',
    text: readText('client', 'probes.yaml'),
    schema: probesFileSchema,
    enumCase: [
      'method: GET',
      'method: FETCH',
      'probes[0].method',
      'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    ],
    durationCase: ['every: 3s', 'every: 3', 'probes[0].every'],
    indentKey: 'every: 3s',
  },
  {
    name: 'proxy, its own format (proxy/proxy.yaml)',
    text: readText('proxy', 'proxy.yaml'),
    schema: anyConfigSchema,
    enumCase: [
      'balancer: round-robin',
      'balancer: randm',
      'routes[0].upstream.balancer',
      'round-robin, random, least-request',
    ],
    durationCase: ['timeout: 3s', 'timeout: 3', 'routes[0].policies.timeout'],
    indentKey: 'trialTimeout: 2s',
  },
  {
    name: 'proxy, the sidecar format (examples/sidecar.yaml)',
    text: readText('examples', 'sidecar.yaml'),
    schema: anyConfigSchema,
    durationCase: ['timeout: 1s', 'timeout: 1', 'paths[0].timeout'],
    indentKey: 'timeout: 1s',
  },
  {
    name: 'proxy, the load-balancer format (examples/lb.yaml)',
    text: readText('examples', 'lb.yaml'),
    schema: anyConfigSchema,
    enumCase: [
      'domain: my-service.my-company.com',
      'domain: my-service.my-company.com\n      strategy: fastest',
      'proxy.services[0].strategy',
      'random, round-robin, least-request',
    ],
    durationCase: [
      'domain: my-service.my-company.com',
      'domain: my-service.my-company.com\n      healthCheck: { interval: 5 }',
      'proxy.services[0].healthCheck.interval',
    ],
    indentKey: 'domain: my-service.my-company.com',
  },
  {
    name: 'proxy, the rgate format (examples/rgate.yml)',
    text: readText('examples', 'rgate.yml'),
    schema: anyConfigSchema,
    // The rgate format has neither closed lists nor durations.
    indentKey: 'status_code: 403',
  },
];

for (const format of formats) {
  describe(`config errors: ${format.name}`, () => {
    it('is valid as shipped', () => {
      parseConfigText(format.text, 'config.yaml', format.schema, { env: {} });
    });

    if (format.enumCase) {
      const [from, to, path, allowed] = format.enumCase;
      it('a value outside a closed list: the message lists the allowed values', () => {
        const [issue] = issuesOf(edit(format.text, from, to), format.schema);
        assert.equal(issue?.path, path);
        assert.match(issue?.message ?? '', new RegExp(`is not allowed; use one of: ${allowed}$`));
      });
    }

    if (format.durationCase) {
      const [from, to, path] = format.durationCase;
      it('a bare number where a duration goes: the message says how to write one', () => {
        const [issue] = issuesOf(edit(format.text, from, to), format.schema);
        assert.equal(issue?.path, path);
        assert.match(
          issue?.message ?? '',
          /^write a duration like 3s, 500ms or 1m30s; a bare number \(\d+\) has no unit$/,
        );
      });
    }

    it('a line indented too deep: plain words, on that line', () => {
      const broken = edit(format.text, format.indentKey, `  ${format.indentKey}`);
      // YAML reads a deeper line under `key: value` as a continuation of the value, not as a new key.
      const issues = issuesOf(broken, format.schema);
      assert.equal(issues.length, 1, JSON.stringify(issues));
      const [issue] = issues;
      const key = format.indentKey.split(':')[0];
      assert.equal(issue?.line, lineOf(broken, `  ${format.indentKey}`));
      assert.equal(
        issue?.message,
        `"${key}" is indented more than the line above, so it reads as part of that value: line it up with the keys above it`,
      );
    });
  });
}

describe('config errors: other YAML mistakes, in words', () => {
  const cases: [string, string, string][] = [
    ['a tab', 'probes:\n\t- name: a\n', '2:1 a tab in the indentation: YAML indents with spaces only'],
    [
      'an unclosed quote',
      'probes:\n  - name: "a\n    url: x\n',
      '2:11 this " quote is never closed: add the closing "',
    ],
    ['a key twice', 'probes: []\nprobes: []\n', '2:1 "probes" is given twice in the same block: keep one'],
    ['an unclosed bracket', 'probes: [ {name: a\n', '2:1 a { is not closed before this line: add the }'],
    [
      'a second colon',
      'probes:\n  - name: a: b\n',
      '2:11 a second ": " on one line: put the value in quotes if it contains ": ", or start a new line for the next key',
    ],
    [
      'a key indented too little',
      'probes:\n  - name: a\n    url: http://x/\n   every: 3s\n',
      '4:1 "every" does not line up with the keys above it: indent it like them (spaces), or start a new list item with "- "',
    ],
  ];
  for (const [what, text, expected] of cases) {
    it(what, () => {
      const [issue] = issuesOf(text, probesFileSchema);
      assert.equal(`${issue?.line}:${issue?.column} ${issue?.message}`, expected);
    });
  }
});
