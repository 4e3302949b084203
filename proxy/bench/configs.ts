// The proxy configs the benchmarks run, in front of one upstream (host:port): the default (no policy)
// and every policy on, none of them tripping (a rate limit far above any rate reached).

export function defaultConfig(upstream: string): string {
  return `routes:
  - name: bench
    match: { pathPrefix: / }
    upstream: { targets: [http://${upstream}] }
`;
}

export function everyPolicyConfig(upstream: string): string {
  return `${defaultConfig(upstream)}    policies:
      rateLimit: { capacity: 100000000, window: 1s }
      timeout: 15s
      circuitBreaker: { consecutiveFailures: 5, openFor: 10s }
      retry: { retries: 2, on: [5xx, connect-failure, reset, per-try-timeout], perTryTimeout: 2s }
`;
}
