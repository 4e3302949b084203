// URLs as people may see them (pages, /probes, logs): no userinfo, and the values of query parameters
// that usually carry credentials replaced, so a token in a probe URL never reaches a screen.

const SENSITIVE_NAMES = new Set([
  'token',
  'access_token',
  'api_key',
  'apikey',
  'key',
  'secret',
  'password',
  'passwd',
  'pwd',
  'auth',
  'signature',
  'sig',
  'session',
]);
const SENSITIVE_PARTS = ['token', 'secret', 'password', 'key'];
export const REDACTED = '[redacted]';

function isSensitive(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_NAMES.has(lower) || SENSITIVE_PARTS.some((part) => lower.includes(part));
}

export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: still never show what looks like userinfo.
    return url.replace(/\/\/[^/@\s]*@/, '//');
  }
  parsed.username = '';
  parsed.password = '';
  if (parsed.search) {
    const parts = parsed.search
      .slice(1)
      .split('&')
      .map((part) => {
        const equals = part.indexOf('=');
        const rawName = equals === -1 ? part : part.slice(0, equals);
        let name = rawName;
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
        } catch {}
        return equals !== -1 && isSensitive(name) ? `${rawName}=${REDACTED}` : part;
      });
    parsed.search = `?${parts.join('&')}`;
  }
  return parsed.href;
}
