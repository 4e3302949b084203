import { z } from 'zod';
import { durationMessage } from './errors.ts';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
export const DURATION_PATTERN = '^((\\d+(\\.\\d+)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+$';

/** Parses a Go-style duration ("1s", "500ms", "1m30s", "1.5s") into milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === '0') return 0;
  if (value === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const start = PART.lastIndex;
    const match = PART.exec(value);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

export function formatDuration(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A Go-style duration kept as text, with the hint a person needs when it is not one (`every: 3`). */
export function durationText() {
  const error = (issue: { input?: unknown }) => durationMessage(issue.input);
  return z.string({ error }).regex(new RegExp(DURATION_PATTERN), { error });
}

/** A zod type for durations in YAML: a Go-style string, parsed to milliseconds. */
export function duration() {
  return durationText()
    .transform((text) => parseDuration(text) as number)
    .meta({ description: 'Go-style duration: "500ms", "2s", "1m30s"' });
}
