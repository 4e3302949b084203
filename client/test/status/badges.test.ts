import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml, latencyBadge, renderBadge, statusBadge, uptimeBadge } from '../../src/status/badges.ts';

describe('badges', () => {
  it('escapes every text', () => {
    const svg = renderBadge({ label: '<script>alert(1)</script>', message: '"&\'', color: 'bad' });
    assert.doesNotMatch(svg, /<script>/);
    assert.match(svg, /&#60;script&#62;/);
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('says up, down or unknown', () => {
    assert.deepEqual(statusBadge('api', 'down'), { label: 'api', message: 'down', color: 'bad' });
    assert.equal(statusBadge('api', 'up').color, 'good');
    assert.equal(statusBadge('api', 'unknown').color, 'none');
  });

  it('shows uptime with the precision that matters', () => {
    assert.equal(uptimeBadge('24h', 1).message, '100%');
    assert.equal(uptimeBadge('24h', 0.99951).message, '99.95%');
    assert.equal(uptimeBadge('24h', 0.99951).color, 'good');
    assert.equal(uptimeBadge('1h', 0.995).color, 'warn');
    assert.equal(uptimeBadge('1h', 0.5).message, '50.0%');
    assert.equal(uptimeBadge('1h', null).message, 'no data');
  });

  it('shows p95 latency, amber above the probe’s maxLatency', () => {
    assert.deepEqual(latencyBadge(42.4, 500), { label: 'latency p95', message: '42 ms', color: 'good' });
    assert.equal(latencyBadge(1234, 500).message, '1.23 s');
    assert.equal(latencyBadge(1234, 500).color, 'warn');
  });
});
