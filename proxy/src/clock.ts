// Time as the policies see it: the runtime's injectable clock (see runtime/src/clock.ts), shared with
// the prober. Tests inject a fake one, so that a breaker's open period or a bucket's refill is stepped
// through without sleeping.
export { type Clock, systemClock } from '@sre-stack/runtime';
