import { durationText, parseDuration } from '@sre-stack/runtime/config';

/** A Go-style duration kept as text ("1s", "500ms"): adapters hand text on to the native schema. */
export const goDuration = durationText();

/** The same duration in the one unit the native schema reads back without rounding. */
export function asMs(text: string): string {
  return `${parseDuration(text)}ms`;
}
