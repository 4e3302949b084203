// The last hour (a cell a minute per probe, chaos actions as marks) and the timeline of incidents and
// chaos actions, newest first.
import { $, clock, el, svg, traceLinks } from './common.js';

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

export function renderHour(data) {
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

export function renderTimeline(data) {
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
