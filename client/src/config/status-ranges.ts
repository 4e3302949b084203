import type { StatusRange } from '../types.ts';

/** One status matcher as written in YAML: 200, "200", "200-299" or "2xx". */
export const STATUS_MATCHER_PATTERN = '^([1-5]\\d\\d|[1-5]\\d\\d-[1-5]\\d\\d|[1-5]xx)$';

export function parseStatusMatcher(matcher: number | string): StatusRange | undefined {
  const text = String(matcher).trim();
  if (!new RegExp(STATUS_MATCHER_PATTERN).test(text)) return undefined;
  if (text.endsWith('xx')) {
    const hundred = Number(text[0]) * 100;
    return { min: hundred, max: hundred + 99 };
  }
  const [low, high = low] = text.split('-').map(Number) as [number, number?];
  if (high < low) return undefined;
  return { min: low, max: high };
}

export function statusMatches(ranges: readonly StatusRange[], status: number): boolean {
  return ranges.some((range) => status >= range.min && status <= range.max);
}
