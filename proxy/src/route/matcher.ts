// Route matching: method, path (exact, prefix or glob) and optionally host. Compiled once per reload
// into plain comparisons; a regular expression only for globs with more than a trailing *.
import type { IncomingMessage } from 'node:http';

export interface MatchConfig {
  pathPrefix?: string;
  path?: string;
  methods?: string[];
  host?: string;
}

export type Matcher = (method: string, path: string, req: IncomingMessage) => boolean;

export interface CompiledMatch {
  test: Matcher;
  /** The same test without the method: a request it matches with another method gets 405, not 404. */
  testIgnoringMethod: Matcher;
  /** The methods matched; undefined for any. */
  methods: readonly string[] | undefined;
  template: string;
}

export function compileMatch(match: MatchConfig): CompiledMatch {
  const pathTest = compilePath(match);
  const methods = match.methods ? new Set(match.methods) : undefined;
  const hostTest = match.host ? compileHost(match.host) : undefined;
  const template = match.path ?? (match.pathPrefix ? `${match.pathPrefix}*` : '/*');
  const testIgnoringMethod: Matcher = (_method, path, req) => {
    if (pathTest && !pathTest(path)) return false;
    if (hostTest && !hostTest(hostOf(req))) return false;
    return true;
  };
  const test: Matcher = (method, path, req) => {
    if (methods && !methods.has(method)) return false;
    return testIgnoringMethod(method, path, req);
  };
  return { test, testIgnoringMethod, methods: match.methods, template };
}

function compilePath(match: MatchConfig): ((path: string) => boolean) | undefined {
  if (match.pathPrefix !== undefined) {
    const prefix = match.pathPrefix;
    return prefix === '/' ? undefined : (path) => path.startsWith(prefix);
  }
  const glob = match.path;
  if (glob === undefined) return undefined;
  const star = glob.indexOf('*');
  if (star < 0) return (path) => path === glob;
  if (star === glob.length - 1) {
    const prefix = glob.slice(0, -1);
    return prefix === '/' || prefix === '' ? undefined : (path) => path.startsWith(prefix);
  }
  const pattern = new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`);
  return (path) => pattern.test(path);
}

function compileHost(host: string): (value: string) => boolean {
  const wanted = host.toLowerCase();
  if (wanted.startsWith('*.')) {
    const suffix = wanted.slice(1);
    return (value) => value.endsWith(suffix) && value.length > suffix.length;
  }
  return (value) => value === wanted;
}

/** The Host header, lowercased, without its port (IPv6 literals keep their brackets). */
export function hostOf(req: IncomingMessage): string {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The path of a request target, without the query; absolute-form targets are reduced to their path. */
export function pathOf(url: string): string {
  if (url.charCodeAt(0) !== 47 /* / */) {
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  }
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
