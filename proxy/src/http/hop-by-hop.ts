// Hop-by-hop headers describe one connection, not the message (RFC 9110 §7.6.1), so a proxy must not
// forward them: the fixed list, plus every header the Connection header names.

const ALWAYS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

export function isAlwaysHopByHop(name: string): boolean {
  return ALWAYS.has(name);
}

/** The names a Connection header lists (lowercased), or null when it lists none beyond the usual. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined || value === 'keep-alive' || value === 'close') return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  let tokens: Set<string> | null = null;
  for (const raw of text.split(',')) {
    const token = raw.trim().toLowerCase();
    // keep-alive and close are connection options, not header names worth a set.
    if (token === '' || token === 'keep-alive' || token === 'close') continue;
    tokens ??= new Set();
    tokens.add(token);
  }
  return tokens;
}
