// One probe's card: state, target, last result, uptime, latency, sparkline, strip of recent runs, trace.
// Built once per probe and updated in place, so focus (a run in the strip) survives updates.
import { ageMs, el, formatAge, formatMs, formatPercent, runText, svg, traceLinks } from './common.js';

let cardCount = 0;

export function createCard(name) {
  const id = `probe-${cardCount++}`;
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

export function updateCard(refs, probe) {
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
  // Runs that left the window leave the strip from the front, so each item keeps its run (and focus).
  const oldest = runs[0]?.at ?? Number.POSITIVE_INFINITY;
  while (strip.firstElementChild && Number(strip.firstElementChild.dataset.at) < oldest) {
    strip.firstElementChild.remove();
  }
  while (strip.children.length > runs.length) strip.lastElementChild.remove();
  while (strip.children.length < runs.length) strip.append(el('li', { tabindex: '-1' }));
  runs.forEach((run, index) => {
    const item = strip.children[index];
    if (item.dataset.at === String(run.at)) return;
    const text = runText(run);
    item.dataset.at = String(run.at);
    item.className = `run ${run.ok ? 'ok' : 'fail'}`;
    item.dataset.tip = text;
    item.setAttribute('aria-label', text);
    item.title = text;
  });
}
