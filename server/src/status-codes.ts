// The status codes the original Go server accepts, with the reason phrases of Go's http.StatusText.
// Go's phrases are kept (not Node's http.STATUS_CODES) because the /status body is that text, and
// clients of the original compare it: Node says "Payload Too Large" where Go says "Request Entity Too Large".

const GO_STATUS_TEXT: ReadonlyMap<number, string> = new Map([
  [100, 'Continue'],
  [101, 'Switching Protocols'],
  [102, 'Processing'],
  [103, 'Early Hints'],
  [200, 'OK'],
  [201, 'Created'],
  [202, 'Accepted'],
  [203, 'Non-Authoritative Information'],
  [204, 'No Content'],
  [205, 'Reset Content'],
  [206, 'Partial Content'],
  [207, 'Multi-Status'],
  [208, 'Already Reported'],
  [226, 'IM Used'],
  [300, 'Multiple Choices'],
  [301, 'Moved Permanently'],
  [302, 'Found'],
  [303, 'See Other'],
  [304, 'Not Modified'],
  [305, 'Use Proxy'],
  [307, 'Temporary Redirect'],
  [308, 'Permanent Redirect'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [411, 'Length Required'],
  [412, 'Precondition Failed'],
  [413, 'Request Entity Too Large'],
  [414, 'Request URI Too Long'],
  [415, 'Unsupported Media Type'],
  [416, 'Requested Range Not Satisfiable'],
  [417, 'Expectation Failed'],
  [418, "I'm a teapot"],
  [421, 'Misdirected Request'],
  [422, 'Unprocessable Entity'],
  [423, 'Locked'],
  [424, 'Failed Dependency'],
  [426, 'Upgrade Required'],
  [428, 'Precondition Required'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
  [451, 'Unavailable For Legal Reasons'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Gateway Timeout'],
  [505, 'HTTP Version Not Supported'],
  [506, 'Variant Also Negotiates'],
  [507, 'Insufficient Storage'],
  [508, 'Loop Detected'],
  [510, 'Not Extended'],
  [511, 'Network Authentication Required'],
]);

/** The 61 codes POST /status/{code} accepts and flaky mode draws from, ascending. */
export const STATUS_CODES: readonly number[] = [...GO_STATUS_TEXT.keys()];

export function isSupportedStatusCode(code: number): boolean {
  return GO_STATUS_TEXT.has(code);
}

/** Go's reason phrase; empty for codes outside the table, as Go's StatusText does. */
export function statusText(code: number): string {
  return GO_STATUS_TEXT.get(code) ?? '';
}

/** "100-103, 200-208, 226, ...": the supported codes as ranges, for error messages. */
export function describeCodes(codes: readonly number[]): string {
  const parts: string[] = [];
  let start = codes[0];
  for (let i = 1; i <= codes.length; i++) {
    const previous = codes[i - 1] as number;
    if (codes[i] === previous + 1) continue;
    if (start === previous) parts.push(String(previous));
    else if (start === previous - 1) parts.push(String(start), String(previous));
    else parts.push(`${start}-${previous}`);
    start = codes[i];
  }
  return parts.join(', ');
}

export const SUPPORTED_CODES_TEXT = describeCodes(STATUS_CODES);

export type ParsedStatusCode = { ok: true; code: number } | { ok: false; error: string };

/**
 * Parses the {code} path segment. Like Go's strconv.Atoi it takes an optional sign and leading zeros
 * ("0200" is 200); anything else, or a code outside the table, is refused with a reason.
 */
export function parseStatusCode(text: string): ParsedStatusCode {
  if (!/^[+-]?\d+$/.test(text)) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
    return { ok: false, error: `"${shown}" is not a number; use one of ${SUPPORTED_CODES_TEXT}` };
  }
  const code = Number(text);
  if (!isSupportedStatusCode(code)) {
    return { ok: false, error: `${code} is not a supported status code; use one of ${SUPPORTED_CODES_TEXT}` };
  }
  return { ok: true, code };
}
