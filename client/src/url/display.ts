// The prober shows URLs in logs, /probes, the probe_info{url} label and span attributes: always
// through displayUrl, never as configured. The implementation lives in the shared runtime, which also
// applies it to the spans of the HTTP client instrumentation.
import { displayUrl as redact } from '@sre-stack/runtime/display-url';

/** URLs come from the config, so a few distinct ones: more than this means churn, and the memo starts over. */
const MEMO_LIMIT = 10_000;
const memo = new Map<string, string>();

/** displayUrl, remembered per URL: every run shows its URL several times, and parsing it is not free. */
export function displayUrl(url: string): string {
  let shown = memo.get(url);
  if (shown === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    shown = redact(url);
    memo.set(url, shown);
  }
  return shown;
}
