// GET /stats on the serving port (the rgate format): the traffic received so far. Reads of /stats
// are not traffic: they are answered here, before routing, and not counted.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RgateStats } from '../stats/rgate-stats.ts';

export function isStatsRequest(req: IncomingMessage, path: string, statsPath: string | undefined): boolean {
  return statsPath !== undefined && path === statsPath && (req.method === 'GET' || req.method === 'HEAD');
}

export function serveStats(req: IncomingMessage, res: ServerResponse, stats: RgateStats): void {
  const body = JSON.stringify(stats.body());
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
