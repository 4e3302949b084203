// The retry policy's section of a route's config (policies.retry), apart from its code (index.ts).
import { duration } from '@sre-stack/runtime/config';
import { z } from 'zod';
import { definePolicyConfig } from '../../pipeline/policy-config.ts';
import { CONDITIONS } from './conditions.ts';

export const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'];

const schema = z.strictObject({
  retries: z.int().min(0).max(10).default(2).meta({ description: 'Retries after the first try. Default 2.' }),
  on: z
    .array(z.union([z.enum(CONDITIONS), z.int().min(100).max(599)]))
    .default(['gateway-error', 'connect-failure', 'reset', 'per-try-timeout'])
    .meta({
      description:
        'When to retry: 5xx, gateway-error (502/503/504), connect-failure, reset, per-try-timeout, or status codes. Default gateway-error, connect-failure, reset, per-try-timeout.',
    }),
  perTryTimeout: duration().optional().meta({
    description: 'Bound on each try, up to its response head. Default none (the route deadline only).',
  }),
  methods: z
    .array(z.string().regex(/^[A-Z]+$/, 'expected an upper-case method name'))
    .default(IDEMPOTENT_METHODS)
    .meta({
      description:
        'Methods that may be retried. Default the idempotent ones (GET, HEAD, OPTIONS, TRACE, PUT, DELETE); add POST at your own risk.',
    }),
  maxBufferedBody: z
    .int()
    .min(0)
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .meta({
      description:
        'A request body of known length up to this many bytes is buffered so that it can be sent again; larger or chunked bodies stream through and are tried once. Default 65536.',
    }),
  backoff: z
    .strictObject({
      base: duration()
        .prefault('25ms')
        .meta({ description: 'Retry n waits uniform in [0, (2^n - 1) * base). Default 25ms.' }),
      max: duration().optional().meta({ description: 'Cap on one wait. Default 10 * base.' }),
    })
    .prefault({}),
  maxRetryAfter: duration().prefault('10s').meta({
    description:
      'A 429/503 with Retry-After up to this is retried after that wait; a longer one is passed to the client as is. Default 10s.',
  }),
  budget: z
    .strictObject({
      percent: z
        .number()
        .min(0)
        .max(100)
        .default(20)
        .meta({ description: 'Retries in progress at most this % of active requests. Default 20.' }),
      minConcurrent: z
        .int()
        .min(0)
        .default(3)
        .meta({ description: 'Always allow this many concurrent retries. Default 3.' }),
    })
    .prefault({}),
});

export const retryConfig = definePolicyConfig({ key: 'retry', schema });
