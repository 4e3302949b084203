// The status page: renders the JSON of /probes, live from /events (Server-Sent Events), polling /probes
// when the stream is not available. Everything from the server is put in the page as text (textContent,
// attributes), never parsed as HTML: probe names, errors and URLs are untrusted.
import { createCard, updateCard } from './card.js';
import { $, ageMs, clock, el, formatAge, view } from './common.js';
import { renderHour, renderTimeline } from './timeline.js';

const POLL_MS = 5000;
const SSE_RETRY_AFTER_POLLS = 12;
const cards = new Map();
const drawn = { hour: '', timeline: '' };

// ---- the whole page -----------------------------------------------------------------------------

function render(data) {
  view.last = data;
  view.receivedAt = Date.now();
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
  // The hour view changes by the minute, the timeline with each incident or chaos action: redrawn only then.
  const hourKey = `${Math.floor(Date.parse(data.generated_at) / 10_000)}|${data.probes.length}|${data.chaos.length}`;
  if (hourKey !== drawn.hour) renderHour(data);
  const timelineKey = `${data.incidents[0]?.at}|${data.chaos[0]?.at}|${data.incidents.length}|${data.chaos.length}`;
  if (timelineKey !== drawn.timeline) renderTimeline(data);
  Object.assign(drawn, { hour: hourKey, timeline: timelineKey });
}

// ---- live updates -------------------------------------------------------------------------------

function setConnection(text) {
  $('connection').textContent = text;
}

// Messages that arrive while the page is busy or hidden are not drawn one by one: only the newest is.
let pending = null;
function show(text) {
  const scheduled = pending !== null;
  pending = text;
  if (!scheduled) setTimeout(drawPending, 0);
}
function drawPending() {
  if (pending === null || document.hidden) return;
  const text = pending;
  pending = null;
  render(JSON.parse(text));
}
document.addEventListener('visibilitychange', drawPending);

function listen() {
  if (typeof EventSource !== 'function') return poll(Number.POSITIVE_INFINITY);
  const source = new EventSource('/events');
  let failures = 0;
  source.addEventListener('status', (event) => {
    failures = 0;
    setConnection('live');
    show(event.data);
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
