// HTTP header names and values in a config, checked as the HTTP parsers will check them when they are
// sent: a value with a line break (a YAML block scalar is enough) would otherwise load, and then fail
// at the first request that carries it.
import { zod } from './lazy.ts';

/** A field name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value: tabs, visible ASCII, spaces and obs-text; no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function headerName() {
  return zod().string().regex(TOKEN, 'not a valid header name');
}

export function headerValue() {
  return zod()
    .string()
    .regex(FIELD_VALUE, 'not a valid header value: line breaks and control characters are not allowed');
}

/** Header names to values. */
export function headerFields() {
  return zod().record(headerName(), headerValue());
}
