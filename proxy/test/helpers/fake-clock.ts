// The runtime's fake clock: timers fire in order as advance() passes them.
export { FakeClock } from '@sre-stack/runtime/testing';
