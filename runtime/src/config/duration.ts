import { durationMessage } from './errors.ts';
import { zod } from './lazy.ts';
import { DURATION_PATTERN, parseDuration } from './parse-duration.ts';

export { DURATION_PATTERN, formatDuration, parseDuration } from './parse-duration.ts';

/** A Go-style duration kept as text, with the hint a person needs when it is not one (`every: 3`). */
export function durationText() {
  const error = (issue: { input?: unknown }) => durationMessage(issue.input);
  return zod().string({ error }).regex(new RegExp(DURATION_PATTERN), { error });
}

/** A zod type for durations in YAML: a Go-style string, parsed to milliseconds. */
export function duration() {
  return durationText()
    .transform((text) => parseDuration(text) as number)
    .meta({ description: 'Go-style duration: "500ms", "2s", "1m30s"' });
}
