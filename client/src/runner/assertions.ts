import { isDeepStrictEqual } from 'node:util';
import { statusMatches } from '../config/status-ranges.ts';
import type { AssertionResult, Expectations } from '../types.ts';
import { readJsonPath } from './json-path.ts';

export interface Observed {
  statusCode: number;
  durationMs: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const EXCERPT = 120;

/** Checks every expectation, in a fixed order, and reports each one (passed or not). */
export function checkExpectations(expect: Expectations, observed: Observed): AssertionResult[] {
  const results: AssertionResult[] = [
    {
      name: 'status',
      ok: statusMatches(expect.status, observed.statusCode),
      expected: expect.statusText,
      actual: String(observed.statusCode),
    },
  ];
  if (expect.maxLatencyMs !== undefined) {
    results.push({
      name: 'latency',
      ok: observed.durationMs <= expect.maxLatencyMs,
      expected: `<= ${expect.maxLatencyMs}ms`,
      actual: `${observed.durationMs.toFixed(1)}ms`,
    });
  }
  for (const [name, wanted] of Object.entries(expect.headers ?? {})) {
    const raw = observed.headers[name];
    const actual = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
    results.push({
      name: 'header',
      ok: raw !== undefined && actual.includes(wanted),
      expected: `${name} contains "${wanted}"`,
      actual: raw === undefined ? `${name} absent` : `${name}: ${excerpt(actual)}`,
    });
  }
  const body = expect.body;
  if (!body) return results;
  const text = observed.body.toString('utf8');
  for (const needle of body.contains ?? []) {
    results.push({
      name: 'body.contains',
      ok: text.includes(needle),
      expected: `contains "${needle}"`,
      actual: excerpt(text),
    });
  }
  for (const needle of body.notContains ?? []) {
    results.push({
      name: 'body.not_contains',
      ok: !text.includes(needle),
      expected: `does not contain "${needle}"`,
      actual: excerpt(text),
    });
  }
  for (const pattern of body.regex ?? []) {
    results.push({
      name: 'body.regex',
      ok: new RegExp(pattern).test(text),
      expected: `matches /${pattern}/`,
      actual: excerpt(text),
    });
  }
  if (body.json && body.json.length > 0) {
    let document: unknown;
    let parsed = true;
    try {
      document = JSON.parse(text);
    } catch {
      parsed = false;
    }
    for (const check of body.json) {
      const expected = check.hasEquals
        ? `${check.path} == ${JSON.stringify(check.equals)}`
        : `${check.path} exists`;
      if (!parsed) {
        results.push({ name: 'body.json', ok: false, expected, actual: `not JSON: ${excerpt(text)}` });
        continue;
      }
      const found = readJsonPath(document, check.path);
      const ok = found.found && (!check.hasEquals || isDeepStrictEqual(found.value, check.equals));
      results.push({
        name: 'body.json',
        ok,
        expected,
        actual: found.found
          ? `${check.path} == ${excerpt(JSON.stringify(found.value) ?? 'undefined')}`
          : `${check.path} missing`,
      });
    }
  }
  return results;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT)}…` : flat;
}

/** Whether any expectation reads the body (otherwise it is drained without being kept). */
export function needsBody(expect: Expectations): boolean {
  const body = expect.body;
  return Boolean(body && (body.contains || body.notContains || body.regex || body.json));
}
