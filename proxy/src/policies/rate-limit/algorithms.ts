// The two rate-limit algorithms as arithmetic on a record's fields (see state/state.ts), so that one
// bucket is shared by every worker thread. The caller holds the record's lock around every call. Times
// are milliseconds on the caller's clock.
//
// token-bucket: `capacity` tokens, refilled continuously at capacity per window, one token a request.
// fixed-window: at most `capacity` requests per window counted from the window's start; the count starts
// over when the window ends ("maxAmount requests per expiration", the ingress sidecar format): unlike a
// bucket, no more than `capacity` ever pass within one window. Windows stay aligned to the first one.

export interface Limit {
  readonly capacity: number;
  readonly windowMs: number;
}

export interface Algorithm {
  /** Makes a fresh record: a full bucket, or an unused window starting now. */
  init(data: Float64Array, base: number, now: number, limit: Limit): void;
  /** Takes one request's permit; false when over the limit. */
  take(data: Float64Array, base: number, now: number, limit: Limit): boolean;
  /** Requests that may pass now (as of the last take). */
  remaining(data: Float64Array, base: number, limit: Limit): number;
  /** Milliseconds until a request may pass (0 when one may now). */
  msUntilToken(data: Float64Array, base: number, now: number, limit: Limit): number;
  /** Milliseconds until the full quota is back. */
  msUntilFull(data: Float64Array, base: number, now: number, limit: Limit): number;
  /** Brings the record up to `now` (refill, or start the current window). */
  refresh(data: Float64Array, base: number, now: number, limit: Limit): void;
  /** From when on the record holds nothing a fresh one would not (full bucket, unused window). */
  idleAfter(data: Float64Array, base: number, limit: Limit): number;
}

// Fields: 0 tokens or requests used, 1 last refill or window start.
const COUNT = 0;
const TIME = 1;

export const tokenBucket: Algorithm = {
  init(data, base, now, limit) {
    data[base + COUNT] = limit.capacity;
    data[base + TIME] = now;
  },
  take(data, base, now, limit) {
    refill(data, base, now, limit);
    if ((data[base + COUNT] as number) < 1) return false;
    data[base + COUNT] = (data[base + COUNT] as number) - 1;
    return true;
  },
  remaining: (data, base) => Math.floor(data[base + COUNT] as number),
  msUntilToken(data, base, _now, limit) {
    const tokens = data[base + COUNT] as number;
    return tokens >= 1 ? 0 : ((1 - tokens) * limit.windowMs) / limit.capacity;
  },
  msUntilFull(data, base, _now, limit) {
    return ((limit.capacity - (data[base + COUNT] as number)) * limit.windowMs) / limit.capacity;
  },
  refresh: (data, base, now, limit) => refill(data, base, now, limit),
  idleAfter(data, base, limit) {
    const missing = limit.capacity - (data[base + COUNT] as number);
    return (data[base + TIME] as number) + (missing * limit.windowMs) / limit.capacity;
  },
};

function refill(data: Float64Array, base: number, now: number, limit: Limit): void {
  const updatedAt = data[base + TIME] as number;
  if (now <= updatedAt) return;
  const tokens = (data[base + COUNT] as number) + ((now - updatedAt) * limit.capacity) / limit.windowMs;
  data[base + COUNT] = Math.min(limit.capacity, tokens);
  data[base + TIME] = now;
}

export const fixedWindow: Algorithm = {
  init(data, base, now) {
    data[base + COUNT] = 0;
    data[base + TIME] = now;
  },
  take(data, base, now, limit) {
    roll(data, base, now, limit);
    if ((data[base + COUNT] as number) >= limit.capacity) return false;
    data[base + COUNT] = (data[base + COUNT] as number) + 1;
    return true;
  },
  remaining: (data, base, limit) => limit.capacity - (data[base + COUNT] as number),
  msUntilToken(data, base, now, limit) {
    return (data[base + COUNT] as number) < limit.capacity
      ? 0
      : fixedWindow.msUntilFull(data, base, now, limit);
  },
  msUntilFull(data, base, now, limit) {
    return Math.max(0, (data[base + TIME] as number) + limit.windowMs - now);
  },
  refresh: (data, base, now, limit) => roll(data, base, now, limit),
  idleAfter(data, base, limit) {
    const startedAt = data[base + TIME] as number;
    return data[base + COUNT] === 0 ? startedAt : startedAt + limit.windowMs;
  },
};

function roll(data: Float64Array, base: number, now: number, limit: Limit): void {
  const startedAt = data[base + TIME] as number;
  if (now - startedAt < limit.windowMs) return;
  data[base + TIME] = startedAt + Math.floor((now - startedAt) / limit.windowMs) * limit.windowMs;
  data[base + COUNT] = 0;
}

export const ALGORITHMS = { 'token-bucket': tokenBucket, 'fixed-window': fixedWindow } as const;
export type AlgorithmName = keyof typeof ALGORITHMS;
