// The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): RateLimit-Policy says the quota
// (q requests per w seconds), RateLimit says what is left (r) and when it is whole again (t seconds).
// Both are Structured Fields lists whose item is the policy name as an sf-string.

export function sfString(text: string): string {
  return `"${text.replace(/[\\"]/g, (char) => `\\${char}`).replace(/[^\x20-\x7e]/g, '?')}"`;
}

export function policyHeader(name: string, quota: number, windowMs: number): string {
  return `${sfString(name)};q=${quota};w=${Math.max(1, Math.ceil(windowMs / 1000))}`;
}

export function stateHeader(name: string, remaining: number, resetMs: number): string {
  return `${name};r=${remaining};t=${Math.max(0, Math.ceil(resetMs / 1000))}`;
}
