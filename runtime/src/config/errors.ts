// The words of config errors, for people: YAML syntax errors reworded and pointed at the line to fix,
// schema issues with the allowed values and the hint a person needs. load.ts locates them in the file.
import type { LineCounter, YAMLError } from 'yaml';
import type { z } from 'zod';

type ZodIssue = z.core.$ZodIssue;

/** What a duration field wants, said once for every config of every service. */
export const DURATION_HINT = 'write a duration like 3s, 500ms or 1m30s';

/** The message for a value that should have been a duration. */
export function durationMessage(input: unknown): string {
  if (typeof input === 'number') return `${DURATION_HINT}; a bare number (${input}) has no unit`;
  if (input === undefined) return `missing: ${DURATION_HINT}`;
  return `${DURATION_HINT}, not ${JSON.stringify(input)}`;
}

export interface YamlProblem {
  line: number;
  column: number;
  message: string;
}

const lineAt = (lines: readonly string[], line: number) => lines[line - 1] ?? '';
const indentOf = (text: string) => text.length - text.trimStart().length;
const KEY_ON_LINE = /^\s*(?:-\s+)?([^\s:#][^:#]*?):(?:\s|$)/;

/** One YAML parser error in a person's words, at the line the fix belongs on. */
export function describeYamlError(error: YAMLError, text: string, lines: LineCounter): YamlProblem {
  const { line, col } = lines.linePos(error.pos[0]);
  const source = text.split(/\r?\n/);
  const here = lineAt(source, line);
  const at = (message: string, atLine = line, column = col) => ({ line: atLine, column, message });
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return at('a tab in the indentation: YAML indents with spaces only', line, 1);
    case 'DUPLICATE_KEY': {
      const key = KEY_ON_LINE.exec(here)?.[1];
      return at(`${key ? `"${key}"` : 'this key'} is given twice in the same block: keep one`);
    }
    case 'BAD_SCALAR_START':
      return at(`a value cannot start with ${here[col - 1] ?? 'this character'}: put it in quotes`);
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return indentationOrQuoting(error, source, line, col) ?? at(plainMessage(error));
    default:
      return at(plainMessage(error));
  }
}

function indentationOrQuoting(
  error: YAMLError,
  source: readonly string[],
  line: number,
  col: number,
): YamlProblem | undefined {
  const message = error.message;
  const here = lineAt(source, line);
  if (/closing ["']quote/.test(message)) {
    const quote = /closing (["'])/.exec(message)?.[1] as string;
    // The parser notices at the end of the text; the fix is where the quote was opened.
    for (let opened = line - 1; opened >= 1; opened--) {
      const column = lineAt(source, opened).indexOf(quote);
      if (column >= 0)
        return {
          line: opened,
          column: column + 1,
          message: `this ${quote} quote is never closed: add the closing ${quote}`,
        };
    }
    return { line, column: col, message: `a ${quote} quote is never closed: add the closing ${quote}` };
  }
  if (/^Flow (map|sequence)/.test(message)) {
    const bracket = message.startsWith('Flow map') ? '}' : ']';
    return {
      line,
      column: col,
      message: `a ${bracket === '}' ? '{' : '['} is not closed before this line: add the ${bracket}`,
    };
  }
  // A key indented deeper than a `key: value` line above it: YAML reads it as more of that value, then
  // trips on its colon, often a line early. The fix is on the deeper line.
  for (const candidate of [line, line + 1]) {
    const deeper = lineAt(source, candidate);
    const key = KEY_ON_LINE.exec(deeper)?.[1];
    const above = previousContentLine(source, candidate);
    if (key && above && indentOf(deeper) > indentOf(above) && /:\s+\S/.test(above.replace(/\s#.*$/, '')))
      return {
        line: candidate,
        column: indentOf(deeper) + 1,
        message: `"${key}" is indented more than the line above, so it reads as part of that value: line it up with the keys above it`,
      };
  }
  if (/compact mappings/.test(message))
    return {
      line,
      column: col,
      message:
        'a second ": " on one line: put the value in quotes if it contains ": ", or start a new line for the next key',
    };
  if (/without - indicator|same column/.test(message)) {
    const key = KEY_ON_LINE.exec(here)?.[1];
    return {
      line,
      column: col,
      message: `${key ? `"${key}"` : 'this line'} does not line up with the keys above it: indent it like them (spaces), or start a new list item with "- "`,
    };
  }
  if (/block sequence may not be used as an implicit map key/.test(message))
    return {
      line,
      column: col,
      message: 'a list item ("- ") where a key was expected: indent it under a key ending in ":"',
    };
  if (/single line|followed by map values/.test(message))
    return {
      line,
      column: col,
      message: `"${here.trim()}" has no ": value": write "key: value", or indent it under a key`,
    };
  return undefined;
}

/** The nearest line above that holds something other than a comment. */
function previousContentLine(source: readonly string[], line: number): string | undefined {
  for (let above = line - 1; above >= 1; above--) {
    const text = lineAt(source, above);
    if (text.trim() !== '' && !text.trim().startsWith('#')) return text;
  }
  return undefined;
}

/** The parser's own words, first line only, for the rare errors not reworded above. */
function plainMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return `YAML syntax: ${first.replace(/ at line \d+, column \d+.*$/, '')}`;
}

/** Every syntax error, reworded, one per line of the file (the parser often reports one mistake twice). */
export function describeYamlErrors(
  errors: readonly YAMLError[],
  text: string,
  lines: LineCounter,
): YamlProblem[] {
  const seen = new Set<number>();
  const problems: YamlProblem[] = [];
  for (const error of errors) {
    const problem = describeYamlError(error, text, lines);
    if (seen.has(problem.line)) continue;
    seen.add(problem.line);
    problems.push(problem);
  }
  return problems;
}

/**
 * A union that failed reports "Invalid input" at the parent key. The branch that got furthest (its
 * issues lie deepest) is almost always the one meant, so its issues are reported instead.
 */
export function unwrapUnionIssues(issues: readonly ZodIssue[]): ZodIssue[] {
  const result: ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      result.push(issue);
      continue;
    }
    const depth = (branch: readonly ZodIssue[]) => Math.max(...branch.map((inner) => inner.path.length));
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? [];
    if (depth(best) === 0) {
      result.push(issue);
      continue;
    }
    const prefixed = best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as ZodIssue);
    result.push(...unwrapUnionIssues(prefixed));
  }
  return result;
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const KIND: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  return `${typeof value === 'number' ? 'the number' : ''} ${String(value)}`.trim();
}

/** A schema issue's message for people; `input` is the value the file has at the issue's path. */
export function describeSchemaIssue(issue: ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_value':
      return `${input === undefined ? 'missing' : `${JSON.stringify(input)} is not allowed`}; use one of: ${issue.values.map(show).join(', ')}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options) && 'discriminator' in issue)
        return `${input === undefined ? 'missing' : `${JSON.stringify(input)} is not allowed`}; use one of: ${(issue.options as unknown[]).map(show).join(', ')}`;
      return issue.message === 'Invalid input'
        ? `${kindOf(input)} does not fit any of the accepted forms here`
        : issue.message;
    case 'invalid_type': {
      // A custom message (a duration's hint) is kept; zod's default one is reworded.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      const wanted = KIND[issue.expected] ?? issue.expected;
      if (input === undefined) return `missing: expected ${wanted}`;
      return `expected ${wanted}, not ${kindOf(input)}`;
    }
    case 'invalid_key': {
      // zod says "Invalid key in record"; the key's own schema says what is wrong with it.
      const inner = issue.issues[0];
      return inner ? describeSchemaIssue(inner, issue.input) : issue.message;
    }
    case 'too_big':
    case 'too_small': {
      // zod's "Too big: expected number to be <=65535" becomes "must be at most 65535, not 70000".
      if (issue.origin !== 'number' || !/^Too (big|small)/.test(issue.message)) return issue.message;
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const word =
        issue.code === 'too_big'
          ? issue.inclusive
            ? 'at most'
            : 'less than'
          : issue.inclusive
            ? 'at least'
            : 'more than';
      return `must be ${word} ${String(bound)}${typeof input === 'number' ? `, not ${input}` : ''}`;
    }
    default:
      return issue.message;
  }
}

/** The value a document has at a schema path; undefined when it is not there. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
