// A config key that no longer means anything where it is: still recognised, so that a file written for
// the old shape gets one clear error at that key saying where its settings went, instead of "unknown
// field". Its JSON Schema entry is marked deprecated and accepts no value, so editors flag it too.
import { zod } from './lazy.ts';

/** Marks an issue that belongs at the key, not at its value (load.ts points there). */
export const AT_KEY = { at: 'key' } as const;

/** A field that moved; `message` names the new key, e.g. "moved: … is configured in policies.x". */
export function movedField(message: string) {
  return zod()
    .unknown()
    .superRefine((_value, context) => {
      context.addIssue({ code: 'custom', message, params: AT_KEY });
    })
    .optional()
    .meta({ description: message, deprecated: true, not: {} });
}

/** Whether an issue asks to be located at its key (a moved field). */
export function pointsAtKey(issue: { code: string; params?: unknown }): boolean {
  return (
    issue.code === 'custom' &&
    typeof issue.params === 'object' &&
    issue.params !== null &&
    (issue.params as { at?: unknown }).at === 'key'
  );
}
