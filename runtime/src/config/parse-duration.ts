// Go-style durations without zod, so that a command line can read one without loading the config schemas.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * The longest duration a config or a flag takes by default: 596h, about 24 days. A timer cannot wait
 * longer (Node's setTimeout fires at once above 2^31 - 1 ms, with a warning), so a longer timeout,
 * interval or expiry would silently act as almost none.
 */
export const MAX_DURATION_MS = 596 * 3_600_000;

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
