// Grafana annotations for the fault window: one region from the method's start to the end of the
// rollbacks, tagged `chaos`, so every dashboard with the chaos annotation query shows it. Only when
// GRAFANA_URL and GRAFANA_TOKEN (a service account token) are set; a failure is logged, never fatal.
import type { Logger } from '@sre-stack/runtime';

export interface GrafanaTarget {
  url: string;
  token: string;
}

export function grafanaFromEnv(env: NodeJS.ProcessEnv = process.env): GrafanaTarget | undefined {
  const url = env.GRAFANA_URL?.trim();
  const token = env.GRAFANA_TOKEN?.trim();
  return url && token ? { url: url.replace(/\/+$/, ''), token } : undefined;
}

export class FaultWindowAnnotation {
  private id: number | undefined;
  private readonly target: GrafanaTarget;
  private readonly logger: Logger;

  constructor(target: GrafanaTarget, logger: Logger) {
    this.target = target;
    this.logger = logger;
  }

  /** Marks the start of the fault window. */
  async open(title: string, startMs: number): Promise<void> {
    const answer = await this.call('POST', '/api/annotations', {
      time: Math.round(startMs),
      tags: ['chaos', 'experiment'],
      text: `chaos experiment: ${title} (running)`,
    });
    const id = (answer as { id?: unknown } | undefined)?.id;
    if (typeof id === 'number') this.id = id;
  }

  /** Closes the region and writes the verdict on it. */
  async close(title: string, endMs: number, verdict: string): Promise<void> {
    if (this.id === undefined) return;
    await this.call('PATCH', `/api/annotations/${this.id}`, {
      timeEnd: Math.round(endMs),
      tags: ['chaos', 'experiment', verdict],
      text: `chaos experiment: ${title}: ${verdict}`,
    });
  }

  private async call(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<unknown> {
    try {
      // undici's full API loads at the first annotation, not with every prober that schedules experiments.
      const { request } = await import('undici');
      const response = await request(`${this.target.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await response.body.text();
      if (response.statusCode >= 300) {
        this.logger.warn(
          { status: response.statusCode, path },
          `Grafana refused the annotation: ${text.slice(0, 200)}`,
        );
        return undefined;
      }
      return JSON.parse(text) as unknown;
    } catch (error) {
      this.logger.warn({ err: error, path }, 'could not post the Grafana annotation');
      return undefined;
    }
  }
}
