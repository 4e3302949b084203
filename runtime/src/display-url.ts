// A URL as it may be shown: in logs, metric labels, span attributes and status pages. Credentials
// in the URL (user and password) are dropped, and the values of query parameters that usually carry
// secrets are replaced, so a probe or upstream configured with a token never shows it.

export const REDACTED = '[redacted]';

/** Short names that carry secrets; longer ones are caught by what they contain (below). */
const SENSITIVE_NAMES = new Set(['pass', 'pwd', 'sig', 'session']);

/**
 * Whether a query parameter's value is hidden: the names above, and any name that contains token,
 * secret, passw, key, auth, credential or signature (X-Amz-Credential, X-Goog-Signature, Authorization).
 */
export function isSensitiveParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_NAMES.has(lower) || /token|secret|passw|key|auth|credential|signature/.test(lower);
}

/**
 * The URL without userinfo and with sensitive query values replaced by [redacted]. Text that does not
 * parse as a URL is returned with anything that looks like userinfo removed.
 */
export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
  }
  parsed.username = '';
  parsed.password = '';
  if (parsed.search) {
    // Rebuilt by hand: URLSearchParams would re-encode the other parameters and change how they read.
    const parts = parsed.search
      .slice(1)
      .split('&')
      .map((part) => {
        const equals = part.indexOf('=');
        const rawName = equals < 0 ? part : part.slice(0, equals);
        let name = rawName;
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
        } catch {
          // A malformed escape: judge the name as written.
        }
        return equals >= 0 && isSensitiveParameter(name) ? `${rawName}=${REDACTED}` : part;
      });
    parsed.search = `?${parts.join('&')}`;
  }
  return parsed.toString();
}
