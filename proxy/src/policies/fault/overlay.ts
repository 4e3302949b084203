// Faults set at run time through the admin API, laid over the file's config. A change is applied the
// way a reload is (the same apply() the config watcher calls), so every worker gets it the same way it
// gets a reload; a file reload keeps the overlay. Expiry timers run here, in the process that owns
// reloads, on an injected clock.
import type { Clock } from '../../clock.ts';
import type { ProxyConfig, RouteConfig } from '../../config/schema.ts';
import { routeName } from '../../route/compile.ts';
import type { FaultRules } from './rules.ts';

interface AdminFault {
  rules: FaultRules;
  /** Epoch ms, for display; the timer itself runs on the clock. */
  expiresAt: number | undefined;
  timer: unknown;
}

export interface FaultView {
  route: string;
  fault: FaultRules | null;
  source: 'file' | 'admin' | null;
  expiresAt: number | undefined;
}

export interface FaultOverlayOptions {
  /** The file's config in force. */
  file: () => ProxyConfig;
  /** Applies an effective config (file + overlay) through the reload path; throws to refuse it. */
  apply: (effective: ProxyConfig) => void | Promise<void>;
  clock: Clock;
  /** Epoch milliseconds, for expires_at. */
  wallNow?: () => number;
  onExpired?: (route: string) => void;
}

export class FaultOverlay {
  private readonly faults = new Map<string, AdminFault>();
  private readonly options: FaultOverlayOptions;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: FaultOverlayOptions) {
    this.options = options;
  }

  /** The config with the admin faults in place; drops those whose route the file no longer has. */
  effective(file: ProxyConfig): ProxyConfig {
    if (this.faults.size === 0) return file;
    const names = new Set<string>();
    const routes = file.routes.map((route, index) => {
      const name = routeName(route, index);
      names.add(name);
      const admin = this.faults.get(name);
      return admin ? { ...route, policies: { ...route.policies, fault: admin.rules } } : route;
    });
    for (const [name, fault] of this.faults) {
      if (names.has(name)) continue;
      this.options.clock.clearTimeout(fault.timer);
      this.faults.delete(name);
    }
    return { ...file, routes };
  }

  /** The route names of the file's config, in order. */
  routes(): string[] {
    return this.options.file().routes.map((route, index) => routeName(route, index));
  }

  view(route: string): FaultView | undefined {
    const config = this.options.file();
    const index = config.routes.findIndex((entry, position) => routeName(entry, position) === route);
    if (index < 0) return undefined;
    const admin = this.faults.get(route);
    if (admin) return { route, fault: admin.rules, source: 'admin', expiresAt: admin.expiresAt };
    const fromFile = ((config.routes[index] as RouteConfig).policies as { fault?: FaultRules }).fault;
    return { route, fault: fromFile ?? null, source: fromFile ? 'file' : null, expiresAt: undefined };
  }

  /** Sets a route's fault (replacing any); resolves once applied, rejects (changing nothing) if refused. */
  set(route: string, rules: FaultRules, expiresInMs: number | undefined): Promise<void> {
    return this.change(route, () => {
      const { clock, wallNow = Date.now } = this.options;
      const timer =
        expiresInMs === undefined
          ? undefined
          : clock.setTimeout(() => void this.expire(route, timer), expiresInMs);
      return {
        rules,
        expiresAt: expiresInMs === undefined ? undefined : wallNow() + expiresInMs,
        timer,
      };
    });
  }

  /** Back to the file's fault (or none). */
  remove(route: string): Promise<void> {
    return this.change(route, () => undefined);
  }

  /** Stops the expiry timers (shutdown). */
  close(): void {
    for (const fault of this.faults.values()) this.options.clock.clearTimeout(fault.timer);
  }

  private expire(route: string, timer: unknown): Promise<void> {
    // A later PUT replaced this one: its own timer decides.
    if (this.faults.get(route)?.timer !== timer) return Promise.resolve();
    this.options.onExpired?.(route);
    return this.remove(route).catch(() => {});
  }

  /** One change at a time, in order; the previous entry comes back if the apply is refused. */
  private change(route: string, next: () => AdminFault | undefined): Promise<void> {
    const run = async () => {
      const previous = this.faults.get(route);
      const entry = next();
      if (entry) this.faults.set(route, entry);
      else this.faults.delete(route);
      try {
        await this.options.apply(this.effective(this.options.file()));
      } catch (error) {
        if (entry) this.options.clock.clearTimeout(entry.timer);
        if (previous) this.faults.set(route, previous);
        else this.faults.delete(route);
        throw error;
      }
      if (previous && previous !== entry) this.options.clock.clearTimeout(previous.timer);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }
}
