// The chaos profile: what flaky mode does. One zod schema serves the YAML file (--config) and
// PUT /flaky, so both accept exactly the same documents and report the same messages.
import { describeSchemaIssue, duration, formatPath, unwrapUnionIssues, valueAt } from '@sre-stack/runtime';
import { z } from 'zod';
import { type ChaosProfile, DEFAULT_PROFILE, MAX_LATENCY_MS } from './chaos-profile.ts';
import { DEFAULT_LATENCY, type Latency } from './latency.ts';
import type { Weighted } from './random.ts';
import { isSupportedStatusCode, STATUS_CODES, SUPPORTED_CODES_TEXT } from './status-codes.ts';

export {
  type ChaosProfile,
  DEFAULT_PROFILE,
  describeProfile,
  MAX_LATENCY_MS,
} from './chaos-profile.ts';

const latencyDuration = () => duration({ maxMs: MAX_LATENCY_MS });

const boundsInOrder = (value: { min: number; max: number }) => value.min <= value.max;
const boundsMessage = { message: 'max must not be less than min', path: ['max'] };

const latencySchema = z
  .discriminatedUnion('distribution', [
    z.strictObject({ distribution: z.literal('fixed'), delay: latencyDuration() }),
    z
      .strictObject({
        distribution: z.literal('uniform'),
        min: latencyDuration().prefault('0ms'),
        max: latencyDuration().prefault('500ms'),
      })
      .refine(boundsInOrder, boundsMessage),
    z
      .strictObject({
        distribution: z.literal('normal'),
        mean: latencyDuration(),
        stddev: latencyDuration(),
        min: latencyDuration().prefault('0ms'),
        max: latencyDuration().prefault('60s'),
      })
      .refine(boundsInOrder, boundsMessage),
    z
      .strictObject({
        distribution: z.literal('exponential'),
        mean: latencyDuration(),
        min: latencyDuration().prefault('0ms'),
        max: latencyDuration().prefault('60s'),
      })
      .refine(boundsInOrder, boundsMessage),
  ])
  .meta({
    description:
      'Delay before a flaky answer. fixed: {delay}; uniform: {min, max} (default 0ms-500ms, the original); normal: {mean, stddev, min, max}; exponential: {mean, min, max}. Normal and exponential draws are clamped to [min, max]. Every duration is at most 60s.',
  });

const unsupported = (code: unknown) =>
  `${code} is not a supported status code; use one of ${SUPPORTED_CODES_TEXT}`;

// Refinements rather than nested unions and key schemas: zod then reports the exact item and problem
// ("codes[2]: 499 is not a supported status code") instead of a generic "Invalid input".
const codeListSchema = z
  .array(
    z.union([
      z
        .number()
        .int()
        .refine(isSupportedStatusCode, { error: (issue) => unsupported(issue.input) }),
      z.string().regex(/^[1-5]xx$/, 'expected a status code such as 503 or a class such as "5xx"'),
    ]),
  )
  .min(1, 'list at least one status code');

/**
 * Weights are relative, so a bound costs nothing; without one, weights like 1e308 overflow the sum to
 * Infinity and every draw lands on the last code.
 */
export const MAX_CODE_WEIGHT = 1_000_000;

const codeWeightsSchema = z
  .record(
    z.string(),
    z
      .number()
      .min(0, 'a weight must be 0 or more')
      .max(
        MAX_CODE_WEIGHT,
        `a weight must be at most ${MAX_CODE_WEIGHT} (weights are relative: 3 and 1 is 75 %)`,
      ),
  )
  .superRefine((weights, context) => {
    for (const key of Object.keys(weights)) {
      if (!/^\d+$/.test(key) || !isSupportedStatusCode(Number(key)))
        context.addIssue({ code: 'custom', path: [key], message: unsupported(key) });
    }
    if (!Object.values(weights).some((weight) => weight > 0))
      context.addIssue({ code: 'custom', message: 'give at least one code a weight above 0' });
  });

/** Both spellings become one weighted list, ascending by code. */
function weightedCodes(codes: z.output<typeof codeListSchema> | Record<string, number>): Weighted<number>[] {
  if (!Array.isArray(codes)) {
    return Object.entries(codes)
      .map(([code, weight]) => ({ value: Number(code), weight }))
      .sort((a, b) => a.value - b.value);
  }
  const set = new Set<number>();
  for (const item of codes) {
    if (typeof item === 'number') set.add(item);
    else for (const code of STATUS_CODES) if (String(code)[0] === item[0]) set.add(code);
  }
  return [...set].sort((a, b) => a - b).map((code) => ({ value: code, weight: 1 }));
}

const codesSchema = z
  .union([codeListSchema, codeWeightsSchema], {
    error:
      'expected a list of status codes ([500, 503, "4xx"]) or a map of code to weight ({"500": 3, "503": 1})',
  })
  .transform(weightedCodes)
  .meta({
    description:
      'Codes a flaky error is drawn from: a list (equal chances; "4xx" stands for every supported 4xx code) or a map of code to relative weight. Default: all 61 supported codes.',
  });

/** The profile document: the YAML file's top level, and the body of PUT /flaky. */
export const chaosProfileSchema = z
  .strictObject({
    enabled: z.boolean().optional().meta({
      description: 'Turns flaky mode on or off when given; left out, the current on/off state is kept.',
    }),
    error_probability: z.number().min(0).max(1).default(1).meta({
      description:
        'Chance (0-1) that a flaky request answers a code drawn from `codes` instead of the steady code set by POST /status/{code}. 1 is the original behaviour.',
    }),
    latency: latencySchema.optional(),
    codes: codesSchema.optional(),
  })
  .transform((document) => ({
    enabled: document.enabled,
    profile: {
      errorProbability: document.error_probability,
      latency: (document.latency ?? DEFAULT_LATENCY) as Latency,
      codes: document.codes ?? DEFAULT_PROFILE.codes,
    } satisfies ChaosProfile,
  }));

export type ChaosProfileDocument = z.output<typeof chaosProfileSchema>;

export interface FieldIssue {
  field: string;
  message: string;
}

/** Validates a parsed JSON body; issues name the field (`latency.max`) and the problem. */
export function parseProfileDocument(
  input: unknown,
): { ok: true; document: ChaosProfileDocument } | { ok: false; issues: FieldIssue[] } {
  const result = chaosProfileSchema.safeParse(input);
  if (result.success) return { ok: true, document: result.data };
  const issues: FieldIssue[] = [];
  for (const issue of unwrapUnionIssues(result.error.issues)) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ field: formatPath([...issue.path, key]), message: `unknown field "${key}"` });
    } else {
      issues.push({
        field: formatPath(issue.path) || '(body)',
        message: describeSchemaIssue(issue, valueAt(input, issue.path)),
      });
    }
  }
  return { ok: false, issues };
}
