// The fault rules of one route and the decision for one request, kept free of the pipeline: the file
// config and the admin API validate with the same schema, and decide() takes the headers and the random
// source it needs, so every case is a plain function call in tests.
import type { IncomingHttpHeaders } from 'node:http';
import { duration, formatDuration, formatPath, headerName } from '@sre-stack/runtime/config';
import { z } from 'zod';

/** A delay longer than this only ties up a connection; a real latency spike is shorter. */
export const MAX_FAULT_DELAY_MS = 5 * 60_000;

export interface FaultRules {
  abort?: { percent: number; status: number };
  /** A fixed delay has minMs === maxMs. */
  delay?: { percent: number; minMs: number; maxMs: number };
  /** Lower-case header name: only requests carrying it are considered. */
  header?: string;
}

export interface FaultDecision {
  /** Milliseconds to wait before the try; 0 for none. */
  delayMs: number;
  /** The status to answer instead of the upstream; 0 for none. */
  abortStatus: number;
}

const NO_FAULT: FaultDecision = { delayMs: 0, abortStatus: 0 };

const percent = z
  .number()
  .min(0)
  .max(100)
  .default(100)
  .meta({ description: 'Share of requests affected, 0-100 (decimals allowed). Default 100.' });

const delayDuration = () => duration({ maxMs: MAX_FAULT_DELAY_MS });

const shape = {
  abort: z
    .strictObject({
      percent,
      status: z.int().min(200).max(599).meta({ description: 'The status answered, 200-599, e.g. 503.' }),
    })
    .optional()
    .meta({ description: 'Answer a share of requests with this status instead of the upstream.' }),
  delay: z
    .strictObject({
      percent,
      duration: z
        .union([
          delayDuration(),
          z
            .strictObject({ min: delayDuration(), max: delayDuration() })
            .refine((range) => range.min <= range.max, {
              message: 'max must not be less than min',
              path: ['max'],
            }),
        ])
        .meta({ description: 'A fixed delay ("200ms") or a uniform range ({ min: 100ms, max: 300ms }).' }),
    })
    .optional()
    .meta({ description: 'Hold a share of requests this long before forwarding them.' }),
  header: headerName()
    .optional()
    .meta({ description: 'Only requests carrying this header (any value) are affected, e.g. x-chaos.' }),
};

type FaultInput = {
  abort?: { percent: number; status: number };
  delay?: { percent: number; duration: number | { min: number; max: number } };
  header?: string;
};

function needsAKind(fault: FaultInput, context: z.RefinementCtx): void {
  if (fault.abort === undefined && fault.delay === undefined)
    context.addIssue({ code: 'custom', path: ['abort'], message: 'set abort, delay or both' });
}

function toRules(fault: FaultInput): FaultRules {
  const rules: FaultRules = {};
  if (fault.abort) rules.abort = { percent: fault.abort.percent, status: fault.abort.status };
  if (fault.delay) {
    const { duration: length } = fault.delay;
    const [minMs, maxMs] = typeof length === 'number' ? [length, length] : [length.min, length.max];
    rules.delay = { percent: fault.delay.percent, minMs, maxMs };
  }
  if (fault.header !== undefined) rules.header = fault.header.toLowerCase();
  return rules;
}

/** `routes[].policies.fault` in the config file. */
export const faultSchema = z.strictObject(shape).superRefine(needsAKind).transform(toRules).meta({
  description:
    'Fault injection: abort or delay a share of requests (optionally only those carrying a header). Aborts and delays act on each try, where the upstream would answer: retries and timeouts apply to them; circuit breakers and health never count them against a target.',
});

/** The body of PUT /faults/{route}: the same fields, and how long the fault lasts. */
const adminSchema = z
  .strictObject({
    ...shape,
    expires_in: duration()
      .refine((ms) => ms > 0, 'must be more than 0')
      .optional()
      .meta({ description: 'The fault removes itself after this long, e.g. "60s".' }),
  })
  .superRefine(needsAKind);

export type AdminParse =
  | { ok: true; rules: FaultRules; expiresInMs: number | undefined }
  | { ok: false; error: string; field: string };

/** Validates a PUT body (already JSON-parsed); a problem names its field, e.g. `abort.percent`. */
export function parseAdminFault(input: unknown): AdminParse {
  const result = adminSchema.safeParse(input);
  if (result.success) {
    const { expires_in: expiresInMs, ...fault } = result.data;
    return { ok: true, rules: toRules(fault), expiresInMs };
  }
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    return { ok: false, field: formatPath([...issue.path, key]), error: `unknown field "${key}"` };
  }
  return { ok: false, field: formatPath(issue.path) || '(body)', error: issue.message };
}

/** The rules in the shape the file and PUT accept, so a GET answer can be edited and sent back. */
export function describeFault(rules: FaultRules): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  if (rules.abort) document.abort = { ...rules.abort };
  if (rules.delay) {
    const { percent: share, minMs, maxMs } = rules.delay;
    document.delay = {
      percent: share,
      duration:
        minMs === maxMs ? formatDuration(minMs) : { min: formatDuration(minMs), max: formatDuration(maxMs) },
    };
  }
  if (rules.header !== undefined) document.header = rules.header;
  return document;
}

const happens = (share: number, random: () => number) =>
  share >= 100 || (share > 0 && random() * 100 < share);

/** What to do with one try: delay, abort, both (delay first, as Envoy does) or nothing. */
export function decide(rules: FaultRules, headers: IncomingHttpHeaders, random: () => number): FaultDecision {
  if (rules.header !== undefined && headers[rules.header] === undefined) return NO_FAULT;
  const { delay, abort } = rules;
  let delayMs = 0;
  if (delay && happens(delay.percent, random))
    delayMs = delay.minMs + (delay.maxMs > delay.minMs ? random() * (delay.maxMs - delay.minMs) : 0);
  const abortStatus = abort && happens(abort.percent, random) ? abort.status : 0;
  return delayMs === 0 && abortStatus === 0 ? NO_FAULT : { delayMs, abortStatus };
}
