// The prober shows URLs in logs, /probes, the probe_info{url} label and span attributes: always
// through displayUrl, never as configured. The implementation lives in the shared runtime, which also
// applies it to the spans of the HTTP client instrumentation.
export { displayUrl } from '@sre-stack/runtime';
