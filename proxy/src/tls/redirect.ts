// The plain-HTTP listener's answer when TLS is on: a permanent redirect to the same host, path and query
// over HTTPS. 308 keeps the method and body (a POST stays a POST), which 301 does not promise.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Host header without its port; IPv6 literals keep their brackets. */
function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** https://host[:port]/path?query for a request received over plain HTTP. */
export function httpsLocation(host: string, url: string, tlsPort: number): string {
  const name = hostWithoutPort(host.trim()) || 'localhost';
  const port = tlsPort === 443 ? '' : `:${tlsPort}`;
  // An absolute-form target (GET http://host/path) keeps only its path and query.
  let path = url;
  if (!path.startsWith('/')) {
    try {
      const parsed = new URL(path);
      path = parsed.pathname + parsed.search;
    } catch {
      path = '/';
    }
  }
  return `https://${name}${port}${path}`;
}

export function redirectToHttps(
  req: IncomingMessage,
  res: ServerResponse,
  tlsPort: number,
  status: 301 | 308 = 308,
): string {
  const location = httpsLocation(req.headers.host ?? '', req.url ?? '/', tlsPort);
  const body = `${status === 308 ? 'Permanent Redirect' : 'Moved Permanently'}: use ${location}\n`;
  res.writeHead(status, {
    location,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return location;
}
