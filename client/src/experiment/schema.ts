// The experiment file: a steady-state hypothesis, a method that injects faults, rollbacks that undo
// them. Everything checkable is checked here, so a bad file fails with file:line:column before anything
// is injected. Keys are snake_case, as in the issue's contract and Chaos Toolkit's files.
import { duration, formatDuration, headerFields } from '@sre-stack/runtime';
import { z } from 'zod';
import { expectSchema, httpUrl } from '../config/schema.ts';

/** A probe that runs more often than this measures the prober more than the target. */
export const MIN_EVERY_MS = 20;
export const DEFAULT_EVERY = '200ms';
export const DEFAULT_PROBE_TIMEOUT = '2s';

const headers = headerFields().meta({ description: 'Request headers.' });

const every = duration()
  .refine((ms) => ms >= MIN_EVERY_MS, `must be at least ${MIN_EVERY_MS}ms`)
  .prefault(DEFAULT_EVERY)
  .meta({ description: `How often the probe runs during a check. Default ${DEFAULT_EVERY}.` });

const steadyProbe = z
  .strictObject({
    url: httpUrl.optional().meta({ description: 'Probe this URL (GET unless `method` says otherwise).' }),
    probe: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Or: the probe of this name in the probes file given with --probes.' }),
    every,
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).optional(),
    headers: headers.optional(),
    timeout: duration()
      .refine((ms) => ms > 0, 'must be more than 0')
      .optional()
      .meta({
        description: `A run without a complete answer by then fails. Default ${DEFAULT_PROBE_TIMEOUT}.`,
      }),
    expect: expectSchema.optional(),
  })
  .superRefine((probe, context) => {
    if ((probe.url === undefined) === (probe.probe === undefined))
      context.addIssue({ code: 'custom', path: [], message: 'set exactly one of url or probe' });
  });

const ratio = z.number().min(0).max(1);

const percent = z.number().min(0).max(100).default(100);
const faultDuration = z.union([duration(), z.strictObject({ min: duration(), max: duration() })]);

/** A proxy fault, as PUT /faults/{route} on the proxy's admin port takes it. */
const faultStep = z
  .strictObject({
    admin: httpUrl.meta({ description: "The proxy's admin base URL, e.g. http://127.0.0.1:9102." }),
    route: z.string().min(1).meta({ description: 'The route name in the proxy config.' }),
    abort: z.strictObject({ percent, status: z.int().min(200).max(599) }).optional(),
    delay: z.strictObject({ percent, duration: faultDuration }).optional(),
    header: z.string().min(1).optional().meta({ description: 'Only requests carrying this header.' }),
    expires_in: duration().optional().meta({
      description:
        "The proxy removes the fault after this long even if the rollbacks never run. Default: the experiment's planned length plus a minute.",
    }),
    clear: z
      .literal(true)
      .optional()
      .meta({ description: "Remove the route's admin fault (DELETE) instead of setting one: a rollback." }),
    token: z
      .string()
      .optional()
      .meta({
        description: 'Bearer token for the admin API, e.g. "$' + '{PROXY_ADMIN_TOKEN:-}"; empty for none.',
      }),
  })
  .superRefine((fault, context) => {
    const sets = fault.abort !== undefined || fault.delay !== undefined;
    if (fault.clear && sets)
      context.addIssue({ code: 'custom', path: ['clear'], message: 'clear takes no abort or delay' });
    if (!fault.clear && !sets)
      context.addIssue({ code: 'custom', path: [], message: 'set abort, delay or both (or clear: true)' });
    const range = fault.delay?.duration;
    if (typeof range === 'object' && range.min > range.max)
      context.addIssue({
        code: 'custom',
        path: ['delay', 'duration', 'max'],
        message: 'max must not be less than min',
      });
  });

const requestStep = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  url: httpUrl,
  headers: headers.optional(),
  json: z.unknown().optional().meta({ description: 'Body sent as JSON.' }),
  body: z.string().optional().meta({ description: 'Body sent as is.' }),
  expect_status: z
    .array(z.int().min(100).max(599))
    .optional()
    .meta({ description: 'Statuses that count as success. Default any 2xx.' }),
  timeout: duration().prefault('10s').meta({ description: 'Default 10s.' }),
});

export const stepSchema = z
  .strictObject({
    request: requestStep.optional().meta({ description: 'Send one HTTP request (a control endpoint).' }),
    pause: duration().optional().meta({ description: 'Wait this long, e.g. "20s".' }),
    fault: faultStep
      .optional()
      .meta({ description: 'Set (or clear) a fault on a proxy route through its admin API.' }),
  })
  .superRefine((step, context) => {
    const kinds = (['request', 'pause', 'fault'] as const).filter((key) => step[key] !== undefined);
    if (kinds.length !== 1)
      context.addIssue({
        code: 'custom',
        path: kinds.length > 1 ? [kinds[1] as string] : [],
        message: 'each step is exactly one of request, pause or fault',
      });
  });

export const experimentSchema = z
  .strictObject({
    title: z.string().min(1).meta({ description: 'What the experiment asks; the `experiment` label.' }),
    description: z.string().optional(),
    steady_state: z
      .strictObject({
        probes: z.array(steadyProbe).min(1, 'list at least one probe'),
        tolerance: z
          .strictObject({
            success_ratio: ratio
              .optional()
              .meta({ description: 'At least this share of runs succeed (0-1).' }),
            p95: duration()
              .optional()
              .meta({ description: 'The 95th percentile of run durations is at most this.' }),
          })
          .refine((tolerance) => tolerance.success_ratio !== undefined || tolerance.p95 !== undefined, {
            message: 'set success_ratio, p95 or both',
          }),
        window: duration()
          .refine((ms) => ms > 0, 'must be more than 0')
          .meta({ description: 'How long each check (before, during, after) observes.' }),
      })
      .meta({ description: 'Checked before the method, during it, and after the rollbacks.' }),
    method: z.array(stepSchema).min(1, 'list at least one step').meta({ description: 'Steps in order.' }),
    rollbacks: z
      .array(stepSchema)
      .default([])
      .meta({ description: 'Always run, even after a deviation, a failed step or Ctrl-C.' }),
  })
  .superRefine((experiment, context) => {
    const { window } = experiment.steady_state;
    experiment.steady_state.probes.forEach((probe, index) => {
      if (probe.every > window)
        context.addIssue({
          code: 'custom',
          path: ['steady_state', 'probes', index, 'every'],
          message: `must not be longer than the window (${formatDuration(window)})`,
        });
    });
  });

export type ExperimentFile = z.output<typeof experimentSchema>;
export type Step = z.output<typeof stepSchema>;
export type SteadyProbe = ExperimentFile['steady_state']['probes'][number];
