// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in config text is the syntax under test.
// A short config fuzz: a few hundred mutants of each shipped config format, each of which must end in
// success or a ConfigError whose every issue is one located line, quickly. Mutations are seeded, so a
// failure names a mutant that can be replayed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError, formatIssue, parseConfigText } from '@sre-stack/runtime';
import type { ZodType } from 'zod';
import { probesFileSchema } from '../../client/src/config/schema.ts';
import { anyConfigSchema } from '../../proxy/src/adapters/index.ts';
import { chaosProfileSchema } from '../../server/src/profile.ts';

const MUTANTS_PER_FORMAT = 300;
/** Per mutant; parse and validation of these small files take a few milliseconds. */
const MUTANT_BOUND_MS = 1000;

const root = new URL('../../', import.meta.url);
const FORMATS: [string, string, ZodType][] = [
  ['server', 'server/flaky-server.yaml', chaosProfileSchema],
  ['prober', 'client/probes.yaml', probesFileSchema],
  ['proxy native', 'proxy/proxy.yaml', anyConfigSchema],
  ['sidecar', 'examples/sidecar.yaml', anyConfigSchema],
  ['rgate', 'examples/rgate.yml', anyConfigSchema],
  ['load balancer', 'examples/lb.yaml', anyConfigSchema],
];

/** mulberry32: a small seeded generator, so every run makes the same mutants. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_SCALARS = [
  '1e308',
  '-1',
  '.nan',
  '.inf',
  '99999999999999999999',
  '""',
  'null',
  '[]',
  '{}',
  '"${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-x}}}}}}}}}}}}}}}}}}"',
  '"${UNCLOSED"',
  '"${1BAD}"',
  '"${REQUIRED:?must be set}"',
  '*nowhere',
  '&anchor value',
  '!!binary aGVsbG8=',
  '!custom tag',
  '"\\u0000"',
  '0x7fffffff',
  '2026-01-01',
  '"http://user:pass@[::1]:99999/?token=x"',
];
const HOSTILE_CHARS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  '&',
  '*',
  '!',
  '|',
  '>',
  '-',
  '"',
  "'",
  '#',
  '$',
  '\t',
  '\n',
  '%',
  '@',
  '`',
  ',',
];

function mutate(text: string, random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const lines = text.split('\n');
  const at = Math.floor(random() * lines.length);
  switch (Math.floor(random() * 9)) {
    case 0: {
      const position = Math.floor(random() * text.length);
      return text.slice(0, position) + text.slice(position + 1 + Math.floor(random() * 5));
    }
    case 1: {
      const position = Math.floor(random() * text.length);
      return text.slice(0, position) + pick(HOSTILE_CHARS) + text.slice(position);
    }
    case 2:
      lines.splice(at, 0, lines[at] ?? '');
      return lines.join('\n');
    case 3:
      lines.splice(at, 1);
      return lines.join('\n');
    case 4: {
      // A value replaced: the part after the first ": " of a line.
      const line = lines[at] ?? '';
      const colon = line.indexOf(': ');
      lines[at] =
        colon < 0
          ? `${line} ${pick(HOSTILE_SCALARS)}`
          : `${line.slice(0, colon + 2)}${pick(HOSTILE_SCALARS)}`;
      return lines.join('\n');
    }
    case 5:
      return text.slice(0, Math.floor(random() * text.length));
    case 6: {
      // A line repeated many times: long lists and duplicate keys.
      lines.splice(at, 0, ...Array(1 + Math.floor(random() * 200)).fill(lines[at] ?? ''));
      return lines.join('\n');
    }
    case 7: {
      // An alias bomb appended.
      const levels = ['bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++)
        levels.push(
          `bomb${i}: &b${i} [${Array(10)
            .fill(`*b${i - 1}`)
            .join(', ')}]`,
        );
      return `${text}\n${levels.join('\n')}\n`;
    }
    default: {
      // Indentation shifted.
      lines[at] = random() < 0.5 ? `  ${lines[at] ?? ''}` : (lines[at] ?? '').replace(/^ {1,2}/, '');
      return lines.join('\n');
    }
  }
}

describe('config fuzz: every mutant parses or is refused in located one-line issues', () => {
  for (const [name, path, schema] of FORMATS) {
    test(`${name} (${path}): ${MUTANTS_PER_FORMAT} mutants`, () => {
      const original = readFileSync(new URL(path, root), 'utf8');
      const random = seeded(path.length * 7919);
      const outcomes = { accepted: 0, refused: 0 };
      let slowest = 0;
      for (let i = 0; i < MUTANTS_PER_FORMAT; i++) {
        let text = mutate(original, random);
        if (random() < 0.3) text = mutate(text, random);
        const started = performance.now();
        try {
          parseConfigText(text, 'mutant.yaml', schema, { env: {} });
          outcomes.accepted++;
        } catch (error) {
          assert.ok(error instanceof ConfigError, `mutant ${i}: ${String(error)}\n--- text:\n${text}`);
          assert.ok(error.issues.length > 0, `mutant ${i}: a ConfigError without issues`);
          for (const issue of error.issues) {
            const line = formatIssue(issue);
            assert.match(line, /^mutant\.yaml:\d+:\d+: /, `mutant ${i}`);
            assert.doesNotMatch(line, /\n/, `mutant ${i}: a multi-line issue: ${line}`);
          }
          outcomes.refused++;
        }
        const took = performance.now() - started;
        slowest = Math.max(slowest, took);
        assert.ok(took < MUTANT_BOUND_MS, `mutant ${i} took ${took.toFixed(0)} ms`);
      }
      assert.ok(outcomes.refused > 0, 'the mutations produce broken files');
      process.stdout.write(
        `# ${name}: ${outcomes.accepted} accepted, ${outcomes.refused} refused, slowest ${slowest.toFixed(1)} ms\n`,
      );
    });
  }
});
