// Time as the scheduler and runner see it: the runtime's injectable clock (see runtime/src/clock.ts).
export { type Clock, systemClock } from '@sre-stack/runtime/clock';
