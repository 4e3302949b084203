// The circuit breaker's section of a route's config (policies.circuitBreaker), apart from its code
// (index.ts).
import { duration } from '@sre-stack/runtime/config';
import { z } from 'zod';
import { definePolicyConfig } from '../../pipeline/policy-config.ts';

const schema = z
  .strictObject({
    consecutiveFailures: z.int().min(1).default(5).meta({
      description:
        "Failures in a row (5xx answers or transport errors) that open a target's circuit. Default 5.",
    }),
    openFor: duration().prefault('10s').meta({
      description:
        'How long a circuit first stays open before one trial request is let through. Default 10s.',
    }),
    maxOpenFor: duration().optional().meta({
      description:
        'When the trial fails too, the circuit reopens for longer: the nth opening in a row lasts n × openFor, at most this. A successful trial closes it and starts the count again. Default openFor (a fixed period).',
    }),
    trialTimeout: duration().prefault('5s').meta({
      description: 'A half-open trial without a verdict by then counts as a failure and reopens. Default 5s.',
    }),
    whenAllOpen: z.enum(['refuse', 'forward']).default('refuse').meta({
      description:
        'When no target admits a request: refuse (default) answers 503 with Retry-After without touching the upstream; forward balances over all targets anyway (panic mode).',
    }),
  })
  .superRefine((config, context) => {
    if (config.maxOpenFor !== undefined && config.maxOpenFor < config.openFor) {
      context.addIssue({
        code: 'custom',
        path: ['maxOpenFor'],
        message: `must be at least openFor (${config.openFor} ms), not ${config.maxOpenFor} ms`,
      });
    }
  });

export type CircuitBreakerConfig = z.output<typeof schema>;

export const circuitBreakerConfig = definePolicyConfig({ key: 'circuitBreaker', schema });
