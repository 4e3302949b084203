// The fault policy's section of a route's config (policies.fault), apart from its code (index.ts). The
// rules themselves, and the decision they make, are rules.ts.
import { definePolicyConfig } from '../../pipeline/policy-config.ts';
import { faultSchema } from './rules.ts';

export const faultConfig = definePolicyConfig({ key: 'fault', schema: faultSchema });
