// The effective config as /config shows it: secrets replaced. What counts as a secret: values under
// keys that name one (authorization, cookie, token, secret, password, api key) and URL passwords.

const SECRET_KEY = /authorization|cookie|token|secret|password|passwd|api[-_]?key|credential/i;
export const REDACTED = '[redacted]';

export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key && SECRET_KEY.test(key)) return REDACTED;
    return redactUrl(value);
  }
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redact(item, name)]));
  }
  return value;
}

function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password) url.password = REDACTED;
    return url.toString();
  } catch {
    return text;
  }
}
