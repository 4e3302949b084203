// README badges: /badges/{probe}/status.svg, /uptime.svg?window=1h|24h, /latency.svg. Flat two-part SVGs
// drawn here (no dependency). Every text is escaped: probe names and numbers are the only inputs.
import type { ServerResponse } from 'node:http';

export const BADGE_MAX_AGE_SECONDS = 5;

const COLORS = {
  good: '#1b7a35',
  warn: '#8a5a00',
  bad: '#b3261e',
  none: '#5f6368',
  label: '#3c4043',
} as const;
export type BadgeColor = keyof typeof COLORS;

export interface Badge {
  label: string;
  message: string;
  color: BadgeColor;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Verdana 11px averages about 6.5 px a character; wide enough for digits, names and units. */
function textWidth(text: string): number {
  return Math.ceil([...text].length * 6.6) + 12;
}

export function renderBadge(badge: Badge): string {
  const label = escapeXml(badge.label);
  const message = escapeXml(badge.message);
  const left = textWidth(badge.label);
  const right = textWidth(badge.message);
  const width = left + right;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${label}: ${message}">`,
    `<title>${label}: ${message}</title>`,
    `<rect width="${left}" height="20" fill="${COLORS.label}"/>`,
    `<rect x="${left}" width="${right}" height="20" fill="${COLORS[badge.color]}"/>`,
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">',
    `<text x="${left / 2}" y="14">${label}</text>`,
    `<text x="${left + right / 2}" y="14">${message}</text>`,
    '</g></svg>',
  ].join('');
}

export function sendBadge(response: ServerResponse, status: number, badge: Badge): void {
  const body = renderBadge(badge);
  response.writeHead(status, {
    'content-type': 'image/svg+xml; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': `public, max-age=${BADGE_MAX_AGE_SECONDS}`,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  response.end(body);
}

export function statusBadge(name: string, status: string): Badge {
  const color: BadgeColor = status === 'up' ? 'good' : status === 'down' ? 'bad' : 'none';
  return { label: name, message: status, color };
}

export function uptimeBadge(window: string, uptime: number | null): Badge {
  const label = `uptime ${window}`;
  if (uptime === null) return { label, message: 'no data', color: 'none' };
  const percent = uptime * 100;
  const digits = percent === 100 || percent === 0 ? 0 : percent >= 99 ? 2 : 1;
  const color: BadgeColor = percent >= 99.9 ? 'good' : percent >= 99 ? 'warn' : 'bad';
  return { label, message: `${percent.toFixed(digits)}%`, color };
}

export function latencyBadge(p95Ms: number | null, maxLatencyMs: number | undefined): Badge {
  const label = 'latency p95';
  if (p95Ms === null) return { label, message: 'no data', color: 'none' };
  const message = p95Ms >= 1000 ? `${(p95Ms / 1000).toFixed(2)} s` : `${Math.round(p95Ms)} ms`;
  const color: BadgeColor = maxLatencyMs === undefined || p95Ms <= maxLatencyMs ? 'good' : 'warn';
  return { label, message, color };
}

export const notFoundBadge: Badge = { label: 'probe', message: 'not found', color: 'none' };
