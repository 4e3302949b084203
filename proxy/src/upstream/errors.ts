// Maps an undici or socket error to the closed set of failure kinds that retry conditions, metrics and
// logs use.
import type { FailureKind } from '../pipeline/outcome.ts';

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

export function classifyError(error: unknown): FailureKind {
  const code = errorCode(error);
  if (code !== undefined && CONNECT_FAILURES.has(code)) return 'connect_failure';
  if (code !== undefined && RESETS.has(code)) return 'reset';
  return 'error';
}

export function errorCode(error: unknown): string | undefined {
  let current = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current && depth < 3; depth++) {
    if (typeof current.code === 'string' && current.code !== 'UND_ERR') return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
