// X-Forwarded-* are appended, never replaced: an upstream behind several proxies sees the whole chain.

/** `existing, value`, or just `value`. */
export function appendForwarded(existing: string | string[] | undefined, value: string): string {
  if (existing === undefined || existing === '') return value;
  return `${Array.isArray(existing) ? existing.join(', ') : existing}, ${value}`;
}

/** The client address as X-Forwarded-For writes it: IPv4-mapped IPv6 addresses in their IPv4 form. */
export function clientAddress(remote: string | undefined): string {
  if (remote === undefined) return 'unknown';
  return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
}
