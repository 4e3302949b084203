// cron loads at the first cron schedule, with luxon and node:child_process (for its command jobs): a
// probes file without one, and `prober --once` on it, never pays for them.
import { createRequire } from 'node:module';
import type * as Cron from 'cron';

const require = createRequire(import.meta.url);
let cronModule: typeof Cron | undefined;

/** The cron package, loaded at the first call. */
export function cron(): typeof Cron {
  cronModule ??= require('cron') as typeof Cron;
  return cronModule;
}

/** Why a cron expression is unusable, or undefined if it is fine. */
export function cronProblem(expression: string, timeZone?: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `expected 5 fields (minute first) or 6 (second first), got ${fields}`;
  }
  const { CronTime, validateCronExpression } = cron();
  const { valid, error } = validateCronExpression(expression);
  if (!valid) return (error as Error | undefined)?.message ?? 'invalid cron expression';
  if (timeZone !== undefined) {
    try {
      new CronTime(expression, timeZone);
    } catch (zoneError) {
      return `time zone "${timeZone}": ${(zoneError as Error).message}`;
    }
  }
  return undefined;
}

/**
 * The shortest gap between the next firings: what "the interval" means for a cron schedule, so that
 * the timeout rule (shorter than the interval) holds even for irregular expressions such as "0,5 * * * * *".
 */
export function cronPeriodMs(expression: string, timeZone?: string, samples = 12): number {
  const dates = new (cron().CronTime)(expression, timeZone).sendAt(samples) as unknown as {
    toMillis(): number;
  }[];
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < dates.length; i++) {
    shortest = Math.min(shortest, (dates[i] as { toMillis(): number }).toMillis() - dates[i - 1]!.toMillis());
  }
  return Number.isFinite(shortest) ? shortest : 60_000;
}
