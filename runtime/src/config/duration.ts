import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './parse-duration.ts';

export { DURATION_PATTERN, formatDuration, parseDuration } from './parse-duration.ts';

/** A zod type for durations in YAML: a Go-style string, parsed to milliseconds. */
export function duration() {
  return z
    .string()
    .regex(new RegExp(DURATION_PATTERN), 'expected a duration such as "500ms", "2s" or "1m30s"')
    .transform((text) => parseDuration(text) as number)
    .meta({ description: 'Go-style duration: "500ms", "2s", "1m30s"' });
}
