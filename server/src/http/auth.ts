// The bearer check lives in the runtime (the proxy's admin API uses it too).
export { type AuthResult, bearerChecker } from '@sre-stack/runtime';
