// The timeout policy's section of a route's config (policies.timeout), apart from its code (index.ts).
import { duration } from '@sre-stack/runtime/config';
import { definePolicyConfig } from '../../pipeline/policy-config.ts';

export const timeoutConfig = definePolicyConfig({
  key: 'timeout',
  defaultConfig: '15s',
  schema: duration().meta({
    description:
      'Overall deadline for all tries and backoffs up to the response head (Envoy route timeout); "0s" disables. Default 15s.',
  }),
});
