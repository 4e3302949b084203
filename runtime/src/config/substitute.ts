// Environment interpolation as Docker Compose does it: ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, $VAR, and $$ for a literal $.

export type Env = Record<string, string | undefined>;

export class SubstitutionError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * How deeply defaults may nest, as in ${A:-${B:-x}}. Real configs nest two or three levels; a bound
 * turns a hostile 3,000-level value into a located error instead of a stack overflow.
 */
export const MAX_SUBSTITUTION_DEPTH = 16;

export function substitute(text: string, env: Env, depth = 0): string {
  if (!text.includes('$')) return text;
  if (depth > MAX_SUBSTITUTION_DEPTH) {
    throw new SubstitutionError(`substitutions nest more than ${MAX_SUBSTITUTION_DEPTH} levels deep`);
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = matchingBrace(text, i + 1);
      if (end < 0) throw new SubstitutionError(`unclosed "\${" in "${shorten(text)}"`);
      out += expand(text.slice(i + 2, end), env, depth);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (!name) {
        out += '$';
        i++;
        continue;
      }
      out += env[name] ?? '';
      i += 1 + name.length;
    }
  }
  return out;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function expand(expression: string, env: Env, depth: number): string {
  const name = NAME.exec(expression)?.[0];
  if (!name) throw new SubstitutionError(`invalid variable name in "\${${shorten(expression)}}"`);
  const rest = expression.slice(name.length);
  const value = env[name];
  if (rest === '') return value ?? '';
  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!operator) throw new SubstitutionError(`invalid substitution "\${${shorten(expression)}}"`);
  const argument = rest.slice(operator.length);
  const unsetOrEmpty = value === undefined || value === '';
  switch (operator) {
    case ':-':
      return unsetOrEmpty ? substitute(argument, env, depth + 1) : (value as string);
    case '-':
      return value === undefined ? substitute(argument, env, depth + 1) : value;
    case ':?':
    case '?':
      if (operator === ':?' ? unsetOrEmpty : value === undefined) {
        throw new SubstitutionError(`required variable ${name} is missing a value: ${argument || 'not set'}`);
      }
      return value as string;
    case ':+':
      return unsetOrEmpty ? '' : substitute(argument, env, depth + 1);
    default:
      return value === undefined ? '' : substitute(argument, env, depth + 1);
  }
}

/** Error messages quote the text, but never a whole megabyte of it. */
function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Values that came from ${VAR} substitution may be secrets (tokens, passwords handed in through the
 * environment), whatever the field is called. A loaded config carries the set of them, out of sight
 * of JSON.stringify and of spreading, so that whatever shows the config can redact them by value.
 */
const SUBSTITUTED = Symbol.for('@sre-stack/runtime.substituted-values');

export function markSubstituted(config: unknown, values: ReadonlySet<string>): void {
  if (typeof config !== 'object' || config === null || !Object.isExtensible(config)) return;
  Object.defineProperty(config, SUBSTITUTED, { value: values, enumerable: false });
}

/** The substituted values of a config returned by parseConfigText (empty for anything else). */
export function substitutedValues(config: unknown): ReadonlySet<string> {
  if (typeof config !== 'object' || config === null) return new Set();
  return ((config as Record<symbol, unknown>)[SUBSTITUTED] as ReadonlySet<string> | undefined) ?? new Set();
}
