// Every answer the proxy makes itself, in one place: status, `decided_by`, and a body that says what
// happened in words a user can act on. Policies and the server build their local answers from here, so
// the same situation always reads the same, and the README's table of answers can be checked against
// one file. (Answers for failed tries, 502/504, are built from the failure in server/respond.ts.)
import { type LocalOutcome, local } from './outcome.ts';

export const ANSWERS = {
  /** 400: a request target that is not a path nor an http(s) URL (asterisk-form OPTIONS *, garbage). */
  badTarget(target: string): LocalOutcome {
    const what =
      target === '*' ? 'the asterisk-form target "*" (server-wide OPTIONS)' : 'this request target';
    return local(400, `400 Bad Request: ${what} cannot be forwarded; send a path such as /\n`, 'bad_request');
  },

  /** 400: more than one Host header, or one that is no host[:port] (RFC 9112 requires the 400). */
  badHost(problem: string): LocalOutcome {
    return local(
      400,
      `400 Bad Request: ${problem}; send one Host header such as example.com:8080\n`,
      'bad_request',
    );
  },

  /** 404: no route matches. */
  noRoute(method: string, path: string): LocalOutcome {
    return local(404, `no route matches ${method} ${path}\n`, 'no_route');
  },

  /** 405: a route matches the path, not the method. */
  methodNotAllowed(method: string, path: string, allowed: readonly string[]): LocalOutcome {
    const list = allowed.join(', ');
    return local(
      405,
      `method ${method} is not allowed on ${path}; allowed: ${list}\n`,
      'method_not_allowed',
      ['allow', list],
    );
  },

  /** 429: over the rate limit, refused before the upstream. */
  rateLimited(text: {
    route: string;
    scope: string;
    capacity: number;
    per: string;
    retryAfter: number;
    headers: string[];
  }): LocalOutcome {
    return local(
      429,
      `rate limit exceeded on route ${text.route}${text.scope}: at most ${text.capacity} requests per ${text.per}; retry after ${text.retryAfter} s\n`,
      'rate_limit',
      ['retry-after', String(text.retryAfter), ...text.headers],
    );
  },

  /** 503: refused without a try, because no target's circuit admits a request. */
  circuitOpen(route: string, what: string, retryAfter: number): LocalOutcome {
    return local(
      503,
      `circuit open for ${what} on route ${route}: it failed repeatedly; retry after ${retryAfter} s\n`,
      'circuit_breaker',
      ['retry-after', String(retryAfter)],
    );
  },

  /** 503: the route's upstream group has no targets (a discovered group with no containers). */
  noUpstream(route: string, group: string): LocalOutcome {
    return local(503, `route ${route}: upstream "${group}" has no targets\n`, 'no_upstream');
  },

  /** 500: the proxy itself failed; the log has the details. */
  internalError(): LocalOutcome {
    return local(500, 'internal proxy error\n', 'error');
  },
} as const;
