/**
 * A stable offset within a period, from a hash of the probe's name (as Grafana Synthetic Monitoring
 * does): probes on the same schedule start at different instants, and a given probe starts at the
 * same phase after every restart and on every replica.
 */
export function stableOffsetMs(name: string, spreadMs: number): number {
  if (spreadMs <= 1) return 0;
  return fnv1a32(name) % Math.floor(spreadMs);
}

/** FNV-1a, 32 bits: tiny, fast, and well spread for short strings. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
