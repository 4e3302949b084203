// The status page: renders the JSON of /probes, live from /events (Server-Sent Events), polling /probes
// when the stream is not available. Everything from the server is put in the page as text (textContent,
// attributes), never parsed as HTML: probe names, errors and URLs are untrusted.

const POLL_MS = 5000;
const SSE_RETRY_AFTER_POLLS = 12;
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
let last = null;
let receivedAt = 0;

// ---- small helpers -------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Milliseconds since `iso` on the prober's clock (the browser's may differ). */
function ageMs(at) {
  if (!last || at === undefined || at === null) return undefined;
  const time = typeof at === 'number' ? at : Date.parse(at);
  return Date.parse(last.generated_at) - time + (Date.now() - receivedAt);
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

function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function runText(run) {
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

function traceLinks(traceId, at) {
  const items = [el('span', {}, 'trace ', el('code', {}, traceId))];
  const base = last?.grafana_url;
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

// ---- one probe ------------------------------------------------------------------------------------

const cards = new Map();

function createCard(name) {
  const id = `probe-${cards.size}`;
  const refs = {
    state: el('span', { class: 'state' }),
    since: el('span', { class: 'since' }),
    target: el('p', { class: 'target' }),
    lastResult: el('dd'),
    uptime1h: el('dd'),
    uptime24h: el('dd'),
    latency: el('dd'),
    spark: svg('svg', { class: 'spark', viewBox: '0 0 240 40', preserveAspectRatio: 'none', role: 'img' }),
    strip: el('ol', { class: 'strip', tabindex: '0' }),
    trace: el('p', { class: 'trace' }),
  };
  const stat = (label, value) => el('div', {}, el('dt', {}, label), value);
  refs.root = el(
    'article',
    { class: 'probe', 'data-probe': name, 'aria-labelledby': id },
    el('header', {}, el('h3', { id }, name), refs.state, refs.since),
    refs.target,
    el(
      'dl',
      { class: 'stats' },
      stat('Last result', refs.lastResult),
      stat('Uptime 1 h', refs.uptime1h),
      stat('Uptime 24 h', refs.uptime24h),
      stat('Latency p50 / p95', refs.latency),
    ),
    el('div', { class: 'charts' }, refs.spark, refs.strip),
    refs.trace,
  );
  refs.strip.addEventListener('keydown', (event) => moveInStrip(refs.strip, event));
  return refs;
}

function moveInStrip(strip, event) {
  const runs = [...strip.children];
  if (runs.length === 0) return;
  const current = runs.indexOf(document.activeElement);
  const from = current === -1 ? runs.length : current;
  const next = { ArrowLeft: from - 1, ArrowRight: from + 1, Home: 0, End: runs.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  runs[Math.max(0, Math.min(runs.length - 1, next))].focus();
}

function updateCard(refs, probe) {
  const { state, history } = probe;
  refs.root.dataset.state = state.status;
  refs.state.className = `state state-${state.status}`;
  refs.state.textContent = state.status;
  // Unknown with results: fewer failures in a row than failureThreshold since the start.
  const undecided = probe.last_result ? 'since the start' : 'no result yet';
  refs.since.textContent = state.since ? `for ${formatAge(ageMs(state.since))}` : undecided;
  refs.since.dataset.since = state.since ?? '';
  refs.target.textContent = `${probe.method ?? 'GET'} ${probe.url ?? ''} · ${probe.schedule}`;

  const result = probe.last_result;
  if (!result) {
    refs.lastResult.textContent = 'not run yet';
    refs.lastResult.className = '';
  } else {
    const status = result.status_code === null ? 'no response' : String(result.status_code);
    const outcome = result.success ? `passed, ${status}` : `failed: ${result.error ?? result.error_type}`;
    refs.lastResult.textContent = `${outcome} (${formatMs(result.duration_ms)}), ${formatAge(ageMs(result.started_at))} ago`;
    refs.lastResult.className = result.success ? 'ok' : 'fail';
  }
  refs.uptime1h.textContent = formatPercent(history.uptime_1h);
  refs.uptime24h.textContent = formatPercent(history.uptime_24h);
  refs.latency.textContent = `${formatMs(history.latency_p50_ms)} / ${formatMs(history.latency_p95_ms)}`;
  drawSparkline(refs.spark, history.recent);
  drawStrip(refs.strip, history.recent);

  const failing = [...history.recent].reverse().find((run) => !run.ok && run.trace_id);
  refs.trace.replaceChildren(
    ...(failing
      ? [
          `Last failing run, ${formatAge(ageMs(failing.at))} ago: `,
          ...traceLinks(failing.trace_id, failing.at),
        ]
      : []),
  );
  refs.trace.hidden = !failing;
}

function drawSparkline(target, runs) {
  const values = runs.map((run) => run.ms);
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 240 / (values.length - 1) : 0;
  const points = values.map(
    (value, index) => `${(index * step).toFixed(1)},${(38 - (value / max) * 34).toFixed(1)}`,
  );
  const children = [];
  if (points.length > 0) children.push(svg('polyline', { points: points.join(' '), class: 'line' }));
  runs.forEach((run, index) => {
    if (!run.ok) {
      const [x, y] = points[index].split(',');
      children.push(svg('circle', { cx: x, cy: y, r: 2.5, class: 'fail' }));
    }
  });
  target.replaceChildren(...children);
  const label =
    values.length === 0
      ? 'latency: no runs yet'
      : `latency of the last ${values.length} runs, from ${formatMs(Math.min(...values))} to ${formatMs(max)}`;
  target.setAttribute('aria-label', label);
}

function drawStrip(strip, runs) {
  const failed = runs.filter((run) => !run.ok).length;
  strip.setAttribute(
    'aria-label',
    `last ${runs.length} runs, oldest first: ${failed} failed. Arrow keys move between runs.`,
  );
  while (strip.children.length > runs.length) strip.lastElementChild.remove();
  while (strip.children.length < runs.length) strip.append(el('li', { tabindex: '-1' }));
  runs.forEach((run, index) => {
    const item = strip.children[index];
    const text = runText(run);
    item.className = `run ${run.ok ? 'ok' : 'fail'}`;
    item.dataset.tip = text;
    item.setAttribute('aria-label', text);
    item.title = text;
  });
}

// ---- the last hour and the timeline -------------------------------------------------------------

function hourRow(label, ariaLabel, children) {
  const chart = svg('svg', {
    viewBox: '0 0 600 14',
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': ariaLabel,
  });
  chart.append(...children);
  return el('div', { class: 'hour-row' }, el('span', { class: 'hour-label' }, label), chart);
}

function renderHour(data) {
  const end = Date.parse(data.generated_at);
  const start = end - 60 * 60_000;
  const x = (at) => Math.max(0, Math.min(600, ((at - start) / (end - start)) * 600));
  const rows = data.probes.map((probe) => {
    const cells = probe.history.minutes.map((count) => {
      const kind = count.ok === count.runs ? 'ok' : count.ok === 0 ? 'fail' : 'warn';
      const rect = svg('rect', { x: x(count.minute).toFixed(1), y: 1, width: 9.4, height: 12, class: kind });
      const title = svg('title');
      title.textContent = `${clock(count.minute)}: ${count.ok} of ${count.runs} runs passed`;
      rect.append(title);
      return rect;
    });
    const bad = probe.history.minutes.filter((count) => count.ok < count.runs).length;
    return hourRow(probe.name, `${probe.name}: ${bad} of the last 60 minutes had failures`, cells);
  });
  const chaos = data.chaos.filter((action) => action.at >= start);
  const marks = chaos.map((action) => {
    const line = svg('rect', {
      x: x(action.at).toFixed(1),
      y: 0,
      width: 2,
      height: 14,
      class: action.ok ? 'chaos' : 'fail',
    });
    const title = svg('title');
    title.textContent = `${clock(action.at)}: ${action.action} ${action.method} ${action.url}`;
    line.append(title);
    return line;
  });
  rows.push(hourRow('chaos', `${chaos.length} chaos actions in the last hour`, marks));
  $('hour').replaceChildren(...rows);
}

function renderTimeline(data) {
  const entries = [
    ...data.incidents.map((incident) => ({ ...incident, type: 'incident' })),
    ...data.chaos.map((action) => ({ ...action, type: 'chaos' })),
  ]
    .sort((a, b) => b.at - a.at)
    .slice(0, 100);
  if (entries.length === 0) {
    $('timeline').replaceChildren(el('li', { class: 'empty' }, 'Nothing yet.'));
    return;
  }
  $('timeline').replaceChildren(
    ...entries.map((entry) => {
      const when = el('time', { datetime: new Date(entry.at).toISOString() }, clock(entry.at));
      if (entry.type === 'incident') {
        const text = `${entry.probe} went ${entry.to}${entry.from === 'unknown' ? '' : ` (was ${entry.from})`}`;
        const reason = entry.error ? `: ${entry.error}` : '';
        const item = el(
          'li',
          { class: `incident to-${entry.to}` },
          when,
          ' ',
          el('strong', {}, text),
          reason,
        );
        if (entry.trace_id) item.append(' · ', ...traceLinks(entry.trace_id, entry.at));
        return item;
      }
      const outcome = entry.ok ? `→ ${entry.status}` : `failed: ${entry.error ?? entry.status}`;
      return el(
        'li',
        { class: `chaos-action ${entry.ok ? 'ok' : 'fail'}` },
        when,
        ' chaos ',
        el('strong', {}, entry.action),
        ` ${entry.method} ${entry.url} ${outcome}`,
      );
    }),
  );
}

// ---- the whole page -----------------------------------------------------------------------------

function render(data) {
  last = data;
  receivedAt = Date.now();
  const counts = { up: 0, down: 0, unknown: 0 };
  for (const probe of data.probes) counts[probe.state.status] = (counts[probe.state.status] ?? 0) + 1;
  const summary = `${data.probes.length} probe${data.probes.length === 1 ? '' : 's'}: ${counts.up} up, ${counts.down} down, ${counts.unknown} unknown`;
  if ($('summary').textContent !== summary) $('summary').textContent = summary;
  document.title = `${counts.down > 0 ? `${counts.down} down · ` : ''}Status · prober`;
  $('location').textContent = data.location;
  $('generated').textContent = clock(Date.parse(data.generated_at));
  $('generated').setAttribute('datetime', data.generated_at);

  const names = new Set(data.probes.map((probe) => probe.name));
  for (const [name, refs] of cards) {
    if (!names.has(name)) {
      refs.root.remove();
      cards.delete(name);
    }
  }
  const container = $('probes');
  data.probes.forEach((probe, index) => {
    let refs = cards.get(probe.name);
    if (!refs) {
      refs = createCard(probe.name);
      cards.set(probe.name, refs);
    }
    updateCard(refs, probe);
    if (container.children[index] !== refs.root)
      container.insertBefore(refs.root, container.children[index] ?? null);
  });
  if (data.probes.length === 0) container.replaceChildren(el('p', {}, 'No probes in the config.'));
  renderHour(data);
  renderTimeline(data);
}

// ---- live updates -------------------------------------------------------------------------------

function setConnection(text) {
  $('connection').textContent = text;
}

function listen() {
  if (typeof EventSource !== 'function') return poll(Number.POSITIVE_INFINITY);
  const source = new EventSource('/events');
  let failures = 0;
  source.addEventListener('status', (event) => {
    failures = 0;
    setConnection('live');
    render(JSON.parse(event.data));
  });
  source.addEventListener('error', () => {
    failures++;
    // The browser retries by itself; after two failed attempts in a row, poll instead for a while.
    if (source.readyState === EventSource.CLOSED || failures >= 2) {
      source.close();
      poll(SSE_RETRY_AFTER_POLLS);
    } else {
      setConnection('reconnecting…');
    }
  });
}

async function poll(times) {
  for (let count = 0; count < times; count++) {
    try {
      const response = await fetch('/probes', { cache: 'no-store' });
      if (!response.ok) throw new Error(`status ${response.status}`);
      render(await response.json());
      setConnection(`polling every ${POLL_MS / 1000} s`);
    } catch {
      setConnection('offline: retrying');
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  listen();
}

// Ages ("for 5 min", "3 s ago") move on between updates.
setInterval(() => {
  for (const refs of cards.values()) {
    const since = refs.since.dataset.since;
    if (since) refs.since.textContent = `for ${formatAge(ageMs(since))}`;
  }
}, 1000);

listen();
