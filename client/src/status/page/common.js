// Shared by the page's modules: building elements, formatting, ages on the prober's clock, trace links.
// Everything from the server goes in as text or attribute values, never as HTML.

const SVG = 'http://www.w3.org/2000/svg';

/** The last data received, and when (ages are counted on the prober's clock). */
export const view = { last: null, receivedAt: 0 };

export const $ = (id) => document.getElementById(id);
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

export function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Milliseconds since `iso` on the prober's clock (the browser's may differ). */
export function ageMs(at) {
  if (!view.last || at === undefined || at === null) return undefined;
  const time = typeof at === 'number' ? at : Date.parse(at);
  return Date.parse(view.last.generated_at) - time + (Date.now() - view.receivedAt);
}

export function formatAge(ms) {
  if (ms === undefined || Number.isNaN(ms)) return '';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined) return 'no data';
  const percent = ratio * 100;
  return `${percent === 100 || percent === 0 ? percent.toFixed(0) : percent.toFixed(2)}%`;
}

// One formatter for the page: toLocaleTimeString builds a new one on every call, hundreds per update.
const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function clock(at) {
  return timeFormat.format(at);
}

export function runText(run) {
  const result = run.ok ? 'passed' : `failed (${run.error_type ?? 'error'})`;
  const status = run.status === null ? 'no response' : `status ${run.status}`;
  return `${clock(run.at)}: ${result}, ${status}, ${formatMs(run.ms)}`;
}

// ---- Grafana links -------------------------------------------------------------------------------

function explore(base, datasource, query, at) {
  const from = at === undefined ? 'now-1h' : String(Math.round(at - 15 * 60_000));
  const to = at === undefined ? 'now' : String(Math.round(at + 15 * 60_000));
  const pane = {
    datasource: datasource.uid,
    queries: [{ refId: 'A', datasource, ...query }],
    range: { from, to },
  };
  return `${base}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify({ a: pane }))}`;
}

export function traceLinks(traceId, at) {
  const items = [el('span', {}, 'trace ', el('code', {}, traceId))];
  const base = view.last?.grafana_url;
  if (typeof base === 'string' && /^https?:\/\//.test(base)) {
    const tempo = explore(
      base,
      { type: 'tempo', uid: 'tempo' },
      { queryType: 'traceql', query: traceId },
      at,
    );
    const loki = explore(
      base,
      { type: 'loki', uid: 'loki' },
      { expr: `{service_name=~"prober|proxy|flaky-server"} | trace_id="${traceId}"` },
      at,
    );
    items.push(
      ' ',
      el('a', { href: tempo, rel: 'noreferrer', target: '_blank' }, 'trace in Grafana'),
      ' ',
      el('a', { href: loki, rel: 'noreferrer', target: '_blank' }, 'logs in Grafana'),
    );
  }
  return items;
}
