// What adapters produce: the proxy's own config, before validation (durations as text, defaults
// unfilled). The native schema then validates it like a file, so every default and rule applies once.

export interface NativeRoute {
  name: string;
  match?: { path?: string; pathPrefix?: string; methods?: string[]; host?: string };
  upstream?: string | Record<string, unknown>;
  static?: { status?: number; body?: string; contentType?: string; headers?: Record<string, string> };
  rewrite?: Record<string, unknown>;
  policies?: Record<string, unknown>;
}

export interface NativeInput {
  listen?: { host?: string; port?: number };
  admin?: { host?: string; port?: number; metricsPath?: string };
  stats?: { path?: string };
  upstreams?: Record<string, Record<string, unknown>>;
  routes: NativeRoute[];
}
