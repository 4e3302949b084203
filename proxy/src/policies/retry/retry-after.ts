// Retry-After on a 429 or 503: delta-seconds or an HTTP date (RFC 9110 §10.2.3).

/** The requested wait in ms, or undefined when the header is absent or unreadable. */
export function retryAfterMs(
  value: string | string[] | undefined,
  nowEpochMs = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowEpochMs);
}
