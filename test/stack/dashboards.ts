// Reading the provisioned dashboards: their queries, and Grafana's variables replaced by values a
// real Prometheus or Loki accepts, so the tests can run every query as Grafana would.
import { readdirSync, readFileSync } from 'node:fs';
import { repoPath } from './helpers.ts';

interface Target {
  expr?: string;
  instant?: boolean;
  datasource?: { type?: string; uid?: string };
  refId?: string;
  queryType?: string;
}
export interface Panel {
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  includeAll?: boolean;
  allValue?: string;
  current?: { value?: string | string[] };
  options?: { value: string }[];
}
export interface Dashboard {
  uid?: string;
  id?: number | null;
  title?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: { name?: string; expr?: string; datasource?: { type?: string; uid?: string } }[] };
}

export interface Query {
  panel: string;
  datasourceType: string;
  expr: string;
  /** Grafana runs it at one instant (stats, tables) rather than over the time range. */
  instant: boolean;
}

export function dashboardFiles(): string[] {
  return readdirSync(repoPath('grafana', 'dashboards')).filter((name) => name.endsWith('.json'));
}

export function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(repoPath('grafana', 'dashboards', file), 'utf8')) as Dashboard;
}

function allPanels(panels: Panel[] = []): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels)]);
}

/** Every query in panels, annotations and query variables, with the datasource type it runs on. */
export function queriesOf(dashboard: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      const type = target.datasource?.type ?? panel.datasource?.type ?? '';
      if (target.expr)
        queries.push({
          panel: panel.title ?? '?',
          datasourceType: type,
          expr: target.expr,
          instant: target.instant === true,
        });
    }
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr) {
      queries.push({
        panel: `annotation ${annotation.name}`,
        datasourceType: annotation.datasource?.type ?? '',
        expr: annotation.expr,
        instant: false,
      });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = variable.query as { query?: string; qryType?: number } | string | undefined;
    const text = typeof query === 'string' ? query : query?.query;
    // label_values(metric, label) → the metric selector is what must exist.
    const match = text?.match(/^label_values\((.+),\s*[a-zA-Z_]+\)$/);
    if (match?.[1])
      queries.push({
        panel: `variable ${variable.name}`,
        datasourceType: 'prometheus',
        expr: match[1],
        instant: true,
      });
  }
  return queries;
}

/** The value a variable has when the dashboard opens: "All" as its regex, else the current value. */
function variableValue(variable: Variable): string {
  const current = variable.current?.value;
  const value = Array.isArray(current) ? current[0] : current;
  if (value === '$__all' || (variable.includeAll && value === undefined)) return variable.allValue ?? '.*';
  return value ?? variable.options?.[0]?.value ?? '.*';
}

/** Replaces Grafana's built-in and dashboard variables the way Grafana would before sending a query. */
export function substituteVariables(expr: string, dashboard: Dashboard): string {
  const builtIns: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '15s',
    __auto: '1m',
    __range: '5m',
    __range_s: '300',
    __interval_ms: '15000',
  };
  const values: Record<string, string> = { ...builtIns };
  for (const variable of dashboard.templating?.list ?? []) values[variable.name] = variableValue(variable);
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced: string, bare: string) => {
    const name = braced ?? bare;
    return name in values ? (values[name] as string) : whole;
  });
}
