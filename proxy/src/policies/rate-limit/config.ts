// The rate limit's section of a route's config (policies.rateLimit), apart from its code (index.ts).
import { duration } from '@sre-stack/runtime/config';
import { z } from 'zod';
import { definePolicyConfig } from '../../pipeline/policy-config.ts';

const KEY_PATTERN = /^(route|client_ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

const schema = z
  .strictObject({
    capacity: z
      .int()
      .min(1)
      .meta({ description: 'Bucket size: the burst allowed, and the requests refilled per window.' }),
    window: duration()
      .prefault('1s')
      .meta({ description: 'Refill period: `capacity` tokens per window. Default 1s.' }),
    key: z
      .string()
      .regex(KEY_PATTERN, 'expected "route", "client_ip" or "header:<name>"')
      .default('route')
      .meta({
        description:
          'One bucket for the route ("route"), one per client address ("client_ip") or per value of a header ("header:x-api-key"; requests without it share one bucket).',
      }),
    maxKeys: z.int().min(1).max(1_000_000).default(10_000).meta({
      description:
        "Keyed buckets this limit expects; the shared key table is sized at start for the sum over all routes (twice that many entries). Idle buckets are reused; a key that finds no room shares the route's overflow bucket.",
    }),
    algorithm: z.enum(['token-bucket', 'fixed-window']).default('token-bucket').meta({
      description:
        "token-bucket (default): `capacity` per window, refilled continuously, bursts up to `capacity`. fixed-window: at most `capacity` per window counted from its start, then 429 until the window ends (the sidecar format's maxAmount per expiration).",
    }),
    headers: z.enum(['always', 'rejections']).default('always').meta({
      description: 'Send RateLimit and RateLimit-Policy on every response of the route, or only on 429s.',
    }),
  })
  .refine((config) => config.window > 0, { message: 'window must be above 0', path: ['window'] });

export const rateLimitConfig = definePolicyConfig({ key: 'rateLimit', schema });
