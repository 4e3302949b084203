// Environment interpolation as Docker Compose does it: ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, $VAR, and $$ for a literal $.

export type Env = Record<string, string | undefined>;

export class SubstitutionError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function substitute(text: string, env: Env): string {
  if (!text.includes('$')) return text;
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
      if (end < 0) throw new SubstitutionError(`unclosed "\${" in "${text}"`);
      out += expand(text.slice(i + 2, end), env);
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

function expand(expression: string, env: Env): string {
  const name = NAME.exec(expression)?.[0];
  if (!name) throw new SubstitutionError(`invalid variable name in "\${${expression}}"`);
  const rest = expression.slice(name.length);
  const value = env[name];
  if (rest === '') return value ?? '';
  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!operator) throw new SubstitutionError(`invalid substitution "\${${expression}}"`);
  const argument = rest.slice(operator.length);
  const unsetOrEmpty = value === undefined || value === '';
  switch (operator) {
    case ':-':
      return unsetOrEmpty ? substitute(argument, env) : (value as string);
    case '-':
      return value === undefined ? substitute(argument, env) : value;
    case ':?':
    case '?':
      if (operator === ':?' ? unsetOrEmpty : value === undefined) {
        throw new SubstitutionError(`required variable ${name} is missing a value: ${argument || 'not set'}`);
      }
      return value as string;
    case ':+':
      return unsetOrEmpty ? '' : substitute(argument, env);
    default:
      return value === undefined ? '' : substitute(argument, env);
  }
}
