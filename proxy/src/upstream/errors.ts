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
/** undici refused the request itself, before any connection: nothing the upstream did. */
const INVALID_REQUESTS = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
]);
/** The upstream's answer could not be parsed as HTTP. */
const INVALID_RESPONSES = new Set([
  'HPE_INVALID_STATUS',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_VERSION',
  'HPE_INVALID_HEADER_TOKEN',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
  'HPE_INVALID_CONTENT_LENGTH',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_INVALID_TRANSFER_ENCODING',
  'UND_ERR_INFO',
]);

export function classifyError(error: unknown): FailureKind {
  const code = errorCode(error);
  if (code !== undefined && CONNECT_FAILURES.has(code)) return 'connect_failure';
  if (code !== undefined && RESETS.has(code)) return 'reset';
  if (code !== undefined && INVALID_REQUESTS.has(code)) return 'invalid_request';
  if (code !== undefined && (INVALID_RESPONSES.has(code) || code.startsWith('HPE_')))
    return 'invalid_response';
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
  // Never show the client library's internals (an assertion's source line) in an answer or a log.
  if (code === 'ERR_ASSERTION') return 'the upstream sent a response that is not valid HTTP';
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
