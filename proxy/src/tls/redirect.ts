// The plain-HTTP listener's only route when TLS is on: a permanent redirect to the same host, path and
// query over HTTPS. 308 keeps the method and body (a POST stays a POST), which 301 does not promise.
// It is a route like any other, so redirects show in the metrics, the access log and the traces
// (route "https_redirect", decided_by "redirect").
import { local } from '../pipeline/outcome.ts';
import type { CompiledRoute } from '../pipeline/types.ts';
import { RouteMetrics } from '../telemetry/metrics.ts';

export const REDIRECT_ROUTE = 'https_redirect';

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

export function redirectRoute(tlsPort: number, status: 301 | 308): CompiledRoute {
  const reason = status === 308 ? 'Permanent Redirect' : 'Moved Permanently';
  return {
    name: REDIRECT_ROUTE,
    template: '/*',
    gates: [],
    metrics: new RouteMetrics(REDIRECT_ROUTE),
    active: 0,
    run(exchange) {
      const location = httpsLocation(exchange.req.headers.host ?? '', exchange.url, tlsPort);
      return Promise.resolve(
        local(status, `${reason}: use ${location}\n`, 'redirect', ['location', location]),
      );
    },
  };
}
