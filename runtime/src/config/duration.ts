import { durationMessage } from './errors.ts';
import { zod } from './lazy.ts';
import { DURATION_PATTERN, formatDuration, MAX_DURATION_MS, parseDuration } from './parse-duration.ts';

export { DURATION_PATTERN, formatDuration, MAX_DURATION_MS, parseDuration } from './parse-duration.ts';

/** A Go-style duration kept as text, with the hint a person needs when it is not one (`every: 3`). */
export function durationText() {
  const error = (issue: { input?: unknown }) => durationMessage(issue.input);
  return zod().string({ error }).regex(new RegExp(DURATION_PATTERN), { error });
}

export interface DurationOptions {
  /** The longest allowed, in milliseconds: MAX_DURATION_MS unless the value never arms a timer. */
  maxMs?: number;
}

/** A zod type for durations in YAML: a Go-style string, parsed to milliseconds. */
export function duration(options: DurationOptions = {}) {
  const maxMs = options.maxMs ?? MAX_DURATION_MS;
  const text = durationText().transform((text) => parseDuration(text) as number);
  return (
    maxMs === Number.POSITIVE_INFINITY
      ? text
      : text.refine(
          (ms) => ms <= maxMs,
          `must be at most ${maxMs % 3_600_000 === 0 ? `${maxMs / 3_600_000}h` : formatDuration(maxMs)}`,
        )
  ).meta({ description: 'Go-style duration: "500ms", "2s", "1m30s"' });
}
