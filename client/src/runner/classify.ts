import type { ErrorType } from '../types.ts';

const CODES: Record<string, ErrorType> = {
  ECONNREFUSED: 'connection_refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ENODATA: 'dns',
  ESERVFAIL: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ABORT_ERR: 'timeout',
  EPROTO: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  CERT_NOT_YET_VALID: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls',
};

/**
 * Maps a transport error to the closed list. `fetch` and undici wrap the system error, so the code is
 * looked for on the error and down its `cause` chain (and in an AggregateError from happy eyeballs).
 */
export function classifyError(error: unknown, timedOut: boolean): ErrorType {
  if (timedOut) return 'timeout';
  for (const candidate of chain(error)) {
    const code = (candidate as { code?: unknown }).code;
    if (typeof code === 'string') {
      const mapped = CODES[code];
      if (mapped) return mapped;
      if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_'))
        return 'tls';
    }
    const name = (candidate as { name?: unknown }).name;
    if (name === 'TimeoutError') return 'timeout';
  }
  return 'other';
}

function* chain(error: unknown, depth = 0): Generator<object> {
  if (depth > 5 || typeof error !== 'object' || error === null) return;
  yield error;
  if (error instanceof AggregateError) for (const inner of error.errors) yield* chain(inner, depth + 1);
  yield* chain((error as { cause?: unknown }).cause, depth + 1);
}

/** A short, single-line description of an error for logs: "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1". */
export function describeError(error: unknown): string {
  for (const candidate of chain(error)) {
    const code = (candidate as { code?: unknown }).code;
    const message = (candidate as { message?: unknown }).message;
    if (typeof code === 'string' && typeof message === 'string' && message) {
      return message.includes(code) ? oneLine(message) : `${code}: ${oneLine(message)}`;
    }
  }
  return oneLine(error instanceof Error ? error.message || error.name : String(error));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
