// The probes file: what users edit. Every rule that can be checked before running lives here, so that a
// mistake is reported with its file:line:column and a running prober keeps its last good config.
import { configPath, duration, formatDuration, headerFields, regularFile } from '@sre-stack/runtime/config';
import { z } from 'zod';
import { cronPeriodMs, cronProblem } from './cron.ts';
import { STATUS_MATCHER_PATTERN } from './status-ranges.ts';

export const MIN_INTERVAL_MS = 100;

const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/,
    'use letters, digits, "_", ".", ":" or "-" (starting with a letter or digit), at most 63 characters',
  )
  .meta({ description: 'Unique among probes and actions; the `probe`/`action` label in metrics and logs.' });

// Not z.url(): its JSON Schema says format "uri", which editors apply to the raw "${VAR:-…}/status" text.
export const httpUrl = z
  .string()
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'expected an absolute http:// or https:// URL')
  .meta({ description: 'Absolute http(s) URL; $' + '{VAR:-default} is substituted from the environment.' });

const method = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET');

const headers = headerFields().meta({ description: 'Request headers.' });

const body = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .meta({ description: 'Request body: a string as is, an object or array as JSON (content-type set).' });

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const regexText = z.string().refine((pattern) => {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

const statusMatcher = z
  .union([z.int().min(100).max(599), z.string().regex(new RegExp(STATUS_MATCHER_PATTERN))])
  .meta({ description: 'A status code (200), a range ("200-299") or a class ("2xx").' });

export const expectSchema = z
  .strictObject({
    status: oneOrMany(statusMatcher).optional().meta({ description: 'Accepted status codes; default 2xx.' }),
    maxLatency: duration().optional().meta({ description: 'The whole run must take at most this long.' }),
    body: z
      .strictObject({
        contains: oneOrMany(z.string()).optional(),
        notContains: oneOrMany(z.string()).optional(),
        regex: oneOrMany(regexText).optional(),
        json: z
          .array(
            z.strictObject({
              path: z.string().regex(/^\$?(\.[^.[\]]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\])*$|^[^.[\]$][^[\]]*$/, {
                error: 'expected a JSON path such as "$.status" or "$.items[0].id"',
              }),
              equals: z.unknown().optional().meta({ description: 'Absent: the path only has to exist.' }),
            }),
          )
          .optional(),
      })
      .optional(),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Response headers that must contain these values (names case-insensitive).' }),
  })
  .meta({ description: 'What counts as success. Default: any 2xx status.' });

const timing = {
  every: duration().optional().meta({ description: 'Run at this interval, e.g. "3s" (or use schedule).' }),
  schedule: z
    .string()
    .optional()
    .meta({ description: 'Cron expression; 6 fields = seconds first, e.g. "*/3 * * * * *".' }),
  timeZone: z
    .string()
    .optional()
    .meta({ description: 'IANA time zone for schedule; default the host zone.' }),
  offset: duration()
    .optional()
    .meta({ description: 'Start offset within the period; default a stable hash of the name.' }),
  timeout: duration()
    .optional()
    .meta({ description: 'Default 80% of the interval; must be shorter than the interval.' }),
};

interface TimingFields {
  every?: number;
  schedule?: string;
  timeZone?: string;
  offset?: number;
  timeout?: number;
}

/** Interval, timeout and offset rules that need several fields at once. */
function checkTiming(value: TimingFields, context: z.RefinementCtx): void {
  const issue = (path: string, message: string) =>
    context.addIssue({ code: 'custom', path: path ? [path] : [], message });
  if ((value.every === undefined) === (value.schedule === undefined)) {
    issue('', 'set exactly one of "every" (an interval) or "schedule" (a cron expression)');
    return;
  }
  let periodMs: number;
  if (value.every !== undefined) {
    if (value.every < MIN_INTERVAL_MS) {
      issue('every', `must be at least ${MIN_INTERVAL_MS}ms`);
      return;
    }
    if (value.timeZone !== undefined) issue('timeZone', 'only applies to "schedule"');
    periodMs = value.every;
  } else {
    const problem = cronProblem(value.schedule as string, value.timeZone);
    if (problem) {
      issue('schedule', problem);
      return;
    }
    periodMs = cronPeriodMs(value.schedule as string, value.timeZone);
  }
  if (value.timeout !== undefined && value.timeout <= 0) issue('timeout', 'must be more than 0');
  if (value.timeout !== undefined && value.timeout >= periodMs) {
    issue('timeout', `must be shorter than the interval (${formatDuration(periodMs)})`);
  }
  if (value.offset !== undefined && value.offset >= periodMs) {
    issue('offset', `must be shorter than the interval (${formatDuration(periodMs)})`);
  }
}

const tls = z
  .strictObject({
    insecureSkipVerify: z.boolean().default(false),
    caFile: regularFile()
      .optional()
      .meta({ description: 'PEM file of CAs to trust, relative to this file.' }),
    serverName: z.string().optional(),
  })
  .optional();

export const probeSchema = z
  .strictObject({
    name,
    url: httpUrl,
    method,
    headers: headers.optional(),
    body: body.optional(),
    ...timing,
    expect: expectSchema.optional(),
    failureThreshold: z
      .int()
      .min(1)
      .max(1000)
      .default(3)
      .meta({ description: 'Consecutive failures before the probe is considered down.' }),
    successThreshold: z
      .int()
      .min(1)
      .max(1000)
      .default(2)
      .meta({ description: 'Consecutive successes before a down probe is considered up again.' }),
    tls,
  })
  .superRefine(checkTiming);

export const actionSchema = z
  .strictObject({
    name,
    ...timing,
    server: httpUrl.optional().meta({ description: 'Base URL for setStatus/chaosProfile/toggleFlaky.' }),
    headers: headers.optional().meta({
      description: 'Headers for every request of this action, e.g. authorization for the admin token.',
    }),
    request: z
      .strictObject({ method, url: httpUrl, headers: headers.optional(), body: body.optional() })
      .optional()
      .meta({ description: 'Any HTTP request.' }),
    setStatus: oneOrMany(z.int().min(100).max(999))
      .optional()
      .meta({ description: 'POST {server}/status/{code}; a list cycles one code per run.' }),
    chaosProfile: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'PUT {server}/flaky with this JSON chaos profile.' }),
    toggleFlaky: z.literal(true).optional().meta({ description: 'POST {server}/flaky.' }),
    expect: expectSchema.optional(),
    tls,
  })
  .superRefine((action, context) => {
    checkTiming(action, context);
    const kinds = (['request', 'setStatus', 'chaosProfile', 'toggleFlaky'] as const).filter(
      (key) => action[key] !== undefined,
    );
    if (kinds.length !== 1) {
      context.addIssue({
        code: 'custom',
        path: kinds.length > 1 ? [kinds[1] as string] : [],
        message: 'set exactly one of request, setStatus, chaosProfile or toggleFlaky',
      });
    }
  });

const historySchema = z
  .strictObject({
    file: regularFile({ mayBeMissing: true })
      .optional()
      .meta({ description: 'Keeps the status page history across restarts (24 h), relative to this file.' }),
    saveEvery: duration()
      .refine((ms) => ms >= 1000, 'must be at least 1s')
      .prefault('30s')
      .meta({ description: 'How often the history file is written (and at shutdown); default 30s.' }),
  })
  .meta({ description: 'The status page history (GET / on the metrics port). Read at startup.' });

const experimentEntry = z
  .strictObject({
    file: regularFile().meta({
      description: 'An experiment file (see `prober experiment`), relative to this file.',
    }),
    schedule: z.string().meta({ description: 'Cron expression; 6 fields = seconds first.' }),
    timeZone: z
      .string()
      .optional()
      .meta({ description: 'IANA time zone for schedule; default the host zone.' }),
    probes: configPath()
      .optional()
      .meta({ description: 'Probes file for `probe: NAME` in the experiment, relative to this file.' }),
  })
  .superRefine((entry, context) => {
    const problem = cronProblem(entry.schedule, entry.timeZone);
    if (problem) context.addIssue({ code: 'custom', path: ['schedule'], message: problem });
  });

export const probesFileSchema = z
  .strictObject({
    server: httpUrl.optional().meta({
      description: 'Base URL of the chaos target for actions using setStatus/chaosProfile/toggleFlaky.',
    }),
    probes: z.array(probeSchema).default([]),
    actions: z.array(actionSchema).default([]),
    history: historySchema.optional(),

    experiments: z.array(experimentEntry).default([]).meta({
      description: 'Chaos experiments run on a cron schedule, one at a time. Default none.',
    }),
  })
  .superRefine((file, context) => {
    const seen = new Set<string>();
    const entries = [
      ...file.probes.map((probe, index) => ['probes', index, probe.name] as const),
      ...file.actions.map((action, index) => ['actions', index, action.name] as const),
    ];
    for (const [list, index, entryName] of entries) {
      if (seen.has(entryName)) {
        context.addIssue({
          code: 'custom',
          path: [list, index, 'name'],
          message: `"${entryName}" is already used: probe and action names must be unique`,
        });
      }
      seen.add(entryName);
    }
    file.actions.forEach((action, index) => {
      if (action.request === undefined && action.server === undefined && file.server === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['actions', index],
          message: 'needs a server URL: set "server" on the action or at the top of the file',
        });
      }
    });
  });

export type ProbesFile = z.output<typeof probesFileSchema>;
export type ProbeConfig = z.output<typeof probeSchema>;
export type ActionConfig = z.output<typeof actionSchema>;
export type ExpectConfig = z.output<typeof expectSchema>;
