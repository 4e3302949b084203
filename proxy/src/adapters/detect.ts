// Which config format a parsed YAML document is written in. The proxy reads its own format and the
// three other proxy formats, without being told which: each has keys no other
// format has.
//   sidecar  the sidecar format: top-level `paths` (with `port`, `metrics`, `tracing`)
//   rgate    the rgate format: `backends`, `default_response`, or routes with `path_prefix`
//   lb       the load-balancer format: everything under a top-level `proxy` key
//   native   everything else (so that a native file's typo is reported against the native schema)

export type ConfigFormat = 'native' | 'sidecar' | 'rgate' | 'lb';

export const FORMAT_NAMES: Record<ConfigFormat, string> = {
  native: 'the proxy format',
  sidecar: 'the sidecar format',
  rgate: 'the rgate format',
  lb: 'the load-balancer format',
};

const NATIVE_KEYS = new Set(['listen', 'admin', 'server', 'accessLog', 'upstreams', 'tls', 'stats']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function detectFormat(data: unknown): ConfigFormat {
  if (!isRecord(data)) return 'native';
  const keys = Object.keys(data);
  if (keys.some((key) => NATIVE_KEYS.has(key))) return 'native';
  if ('paths' in data) return 'sidecar';
  if ('backends' in data || 'default_response' in data) return 'rgate';
  if (Array.isArray(data.routes) && data.routes.some((route) => isRecord(route) && 'path_prefix' in route)) {
    return 'rgate';
  }
  if ('proxy' in data && keys.length === 1) return 'lb';
  // A sidecar file with its paths still missing says so better than "unknown field port".
  if (keys.length > 0 && keys.every((key) => key === 'port' || key === 'metrics' || key === 'tracing')) {
    return 'sidecar';
  }
  return 'native';
}
