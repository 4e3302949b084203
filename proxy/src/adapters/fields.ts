import { DURATION_PATTERN, parseDuration } from '@sre-stack/runtime';
import { z } from 'zod';

/** A Go-style duration kept as text ("1s", "500ms"): adapters hand text on to the native schema. */
export const goDuration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), 'expected a Go duration such as "500ms", "1s" or "1m30s"');

/** The same duration in the one unit the native schema reads back without rounding. */
export function asMs(text: string): string {
  return `${parseDuration(text)}ms`;
}
