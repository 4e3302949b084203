// An HTTP status's reason phrase, with node:http taken at the first call. The policies import this:
// `proxy --check` loads them for their config schemas, answers no request, and so never loads node:http.
let reasons: Record<number, string | undefined> | undefined;

/** "Service Unavailable" for 503; '' for a status node:http does not name. */
export function statusText(status: number): string {
  reasons ??= process.getBuiltinModule('node:http').STATUS_CODES;
  return reasons[status] ?? '';
}
