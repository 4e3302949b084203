// The history file: what a restart needs to show the last 24 h again. Written atomically (temp file, then
// rename). A file that is not ours, or is damaged, is refused with the reason and never overwritten.
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { type HistoryStore, LIMITS, ProbeHistory } from './history.ts';

export const HISTORY_FORMAT = 'sre-stack-prober-history';
export const HISTORY_VERSION = 1;
const DAY_MS = 24 * 60 * 60_000;

export class HistoryFileError extends Error {}

const time = z.number().finite().nonnegative();
const optionalText = z
  .string()
  .max(LIMITS.errorChars + 10)
  .optional();
const runSchema = z.strictObject({
  at: time,
  ok: z.boolean(),
  status: z.int().min(0).max(999).nullable(),
  ms: z.number().finite().nonnegative(),
  error_type: z.string().max(40).optional(),
  error: optionalText,
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});
const fileSchema = z.strictObject({
  format: z.literal(HISTORY_FORMAT),
  version: z.literal(HISTORY_VERSION),
  saved_at: z.string(),
  probes: z.record(
    z.string().max(63),
    z.strictObject({
      fingerprint: z.string().max(64),
      runs: z.array(runSchema).max(LIMITS.recentRunsPerProbe),
      minutes: z
        .array(z.strictObject({ minute: time, runs: z.int().nonnegative(), ok: z.int().nonnegative() }))
        .max(LIMITS.minutesPerProbe + 1),
    }),
  ),
  incidents: z
    .array(
      z.strictObject({
        at: time,
        probe: z.string().max(63),
        from: z.enum(['unknown', 'up', 'down']),
        to: z.enum(['unknown', 'up', 'down']),
        error_type: z.string().max(40).optional(),
        error: optionalText,
        trace_id: z
          .string()
          .regex(/^[0-9a-f]{32}$/)
          .optional(),
      }),
    )
    .max(LIMITS.incidents),
  chaos: z
    .array(
      z.strictObject({
        at: time,
        action: z.string().max(63),
        method: z.string().max(16),
        url: z.string().max(4096),
        ok: z.boolean(),
        status: z.int().min(0).max(999).nullable(),
        error: optionalText,
      }),
    )
    .max(LIMITS.chaosActions),
});

export function serializeHistory(store: HistoryStore, now: number): string {
  const probes: Record<string, unknown> = {};
  for (const [name, history] of store.probes) {
    probes[name] = {
      fingerprint: history.fingerprint,
      runs: history.runs,
      minutes: history.minutes,
    };
  }
  return `${JSON.stringify({
    format: HISTORY_FORMAT,
    version: HISTORY_VERSION,
    saved_at: new Date(now).toISOString(),
    probes,
    incidents: store.incidents,
    chaos: store.chaos,
  })}\n`;
}

/**
 * Fills an empty store from the file; what is older than 24 h is left out. Returns false when the file
 * does not exist yet; throws HistoryFileError (with the reason) when it is not a history file of ours.
 */
export function loadHistory(store: HistoryStore, file: string, now: number): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new HistoryFileError(`cannot read history file ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HistoryFileError(`history file ${file} is not JSON: not a prober history file`);
  }
  const format = (data as { format?: unknown } | null)?.format;
  const version = (data as { version?: unknown } | null)?.version;
  if (format !== HISTORY_FORMAT) {
    throw new HistoryFileError(
      `history file ${file} is not a prober history file (its "format" is ${JSON.stringify(format ?? null)}, expected "${HISTORY_FORMAT}")`,
    );
  }
  if (version !== HISTORY_VERSION) {
    throw new HistoryFileError(
      `history file ${file} has version ${JSON.stringify(version ?? null)}; this prober reads version ${HISTORY_VERSION}`,
    );
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the file';
    throw new HistoryFileError(`history file ${file} is damaged: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const since = now - DAY_MS;
  for (const [name, saved] of Object.entries(parsed.data.probes)) {
    const history = new ProbeHistory(saved.fingerprint);
    history.runs.push(...saved.runs.filter((run) => run.at >= since).sort((a, b) => a.at - b.at));
    const minutes = saved.minutes.filter((count) => count.minute >= since - 60_000);
    history.minutes.push(...minutes.sort((a, b) => a.minute - b.minute));
    store.probes.set(name, history);
  }
  store.incidents.push(...parsed.data.incidents.filter((entry) => entry.at >= since));
  store.chaos.push(...parsed.data.chaos.filter((entry) => entry.at >= since));
  return true;
}

export async function saveHistory(store: HistoryStore, file: string, now: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, serializeHistory(store, now), { mode: 0o600 });
  await rename(temporary, file);
}
