// The effective config as /config shows it, with secrets replaced. Redaction is by value, not only by
// name, since a secret can sit under any name:
//   - every value that came from ${VAR} substitution (the environment is where secrets are passed);
//   - every header value (static answers, request and response header edits) unless the header is on
//     HEADER_ALLOW_LIST, names whose values are never secret;
//   - values under keys that name a secret (authorization, cookie, token, secret, password, api key);
//   - in URLs: user, password and sensitive query parameters.
import { displayUrl, substitutedValues } from '@sre-stack/runtime';

const SECRET_KEY = /authorization|cookie|token|secret|password|passwd|api[-_]?key|credential/i;
export const REDACTED = '[redacted]';

/** Header names whose values are shown. Everything else (x-auth, x-jwt, x-session, ...) is hidden. */
export const HEADER_ALLOW_LIST = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'access-control-max-age',
  'cache-control',
  'content-encoding',
  'content-language',
  'content-type',
  'location',
  'referrer-policy',
  'retry-after',
  'server',
  'strict-transport-security',
  'user-agent',
  'vary',
  'via',
  'x-content-type-options',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-frame-options',
]);

/** Keys whose value is a map of header name to header value. */
const HEADER_MAP_KEYS = new Set(['headers', 'set']);

/** Substituted values this short are too common to hide wherever they appear inside other text. */
const MIN_CONTAINED_LENGTH = 6;

export function redact(config: unknown): unknown {
  const substituted = [...substitutedValues(config)];
  const isSubstituted = (text: string) =>
    substituted.some(
      (value) => text === value || (value.length >= MIN_CONTAINED_LENGTH && text.includes(value)),
    );
  const walk = (value: unknown, key: string, inHeaderMap: boolean): unknown => {
    if (typeof value === 'string') {
      if (inHeaderMap && !HEADER_ALLOW_LIST.has(key.toLowerCase())) return REDACTED;
      if ((key && SECRET_KEY.test(key)) || isSubstituted(value)) return REDACTED;
      return redactUrl(value);
    }
    if (Array.isArray(value)) return value.map((item) => walk(item, '', false));
    if (value && typeof value === 'object') {
      const headerMap = HEADER_MAP_KEYS.has(key);
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [name, walk(item, name, headerMap)]),
      );
    }
    return value;
  };
  return walk(config, '', false);
}

/** URLs with userinfo or a query are shown as displayUrl shows them; others exactly as written. */
function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/([^/?#]*@|[^?#]*\?)/i.test(text)) return text;
  return displayUrl(text);
}
