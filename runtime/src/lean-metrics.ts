// Counters, gauges and histograms for a request hot path. prom-client hashes the label set on every
// observation, even through labels(), and validates an exemplar's labels on each; here a child is bound
// once per label set and an observation is a few additions. The families render through the runtime
// registry like any prom-client metric, in the shape prom-client's own get() returns, exemplars included.
// Registered through the registry slot, not the runtime's main entry: defining a family (which a config
// check may do) then loads no metrics library.
import { registerWhenReady } from './registry-slot.ts';

type Labels = Record<string, string>;
type Aggregator = 'sum' | 'max' | 'min' | 'first' | 'average' | 'omit';

interface Exemplar {
  labelSet: Labels;
  value: number;
  timestamp: number;
}

export interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
  exemplar?: Exemplar | null;
}

export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricValue[];
  aggregator: Aggregator;
}

const allFamilies = new Set<Family<unknown>>();

/** Removes, from every lean family that has these labels, the series matching them all. */
export function removeSeries(match: Labels): void {
  const names = Object.keys(match);
  for (const family of allFamilies) {
    if (names.every((name) => family.labelNames.includes(name))) family.removeMatching(match);
  }
}

abstract class Family<Child> {
  /** Mutable: an OpenMetrics registry strips a counter's `_total` and adds it back per sample. */
  name: string;
  readonly help: string;
  abstract readonly type: MetricSnapshot['type'];
  readonly labelNames: readonly string[];
  /** How values from several processes are combined (prom-client's aggregator names). */
  aggregator: Aggregator;
  protected readonly children = new Map<string, { labels: Labels; child: Child }>();

  constructor(name: string, help: string, labelNames: readonly string[], aggregator: Aggregator = 'sum') {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.aggregator = aggregator;
    registerWhenReady(this);
    allFamilies.add(this as Family<unknown>);
  }

  protected abstract create(): Child;

  /** The child for these label values, created on first use; callers keep it for the hot path. */
  child(...values: string[]): Child {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Labels = {};
      this.labelNames.forEach((name, index) => {
        labels[name] = values[index] ?? '';
      });
      entry = { labels, child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops series whose labels match all the given ones (say, a route a reload removed). */
  removeMatching(match: Labels): void {
    for (const [key, entry] of this.children) {
      if (Object.entries(match).every(([name, value]) => entry.labels[name] === value)) {
        this.children.delete(key);
      }
    }
  }

  reset(): void {
    this.children.clear();
  }

  protected abstract values(labels: Labels, child: Child): MetricValue[];

  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    for (const { labels, child } of this.children.values()) values.push(...this.values(labels, child));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class CounterChild {
  value = 0;
  inc(amount = 1): void {
    this.value += amount;
  }
}

export class LeanCounter extends Family<CounterChild> {
  readonly type = 'counter';
  protected create() {
    return new CounterChild();
  }
  protected values(labels: Labels, child: CounterChild): MetricValue[] {
    return [{ labels, value: child.value }];
  }
}

export class GaugeChild {
  value = 0;
  /** When set, the value is read at scrape time (state that lives elsewhere, e.g. shared memory). */
  read: (() => number) | undefined;
  set(value: number): void {
    this.value = value;
  }
  inc(amount = 1): void {
    this.value += amount;
  }
  dec(amount = 1): void {
    this.value -= amount;
  }
}

export class LeanGauge extends Family<GaugeChild> {
  readonly type = 'gauge';
  protected create() {
    return new GaugeChild();
  }
  protected values(labels: Labels, child: GaugeChild): MetricValue[] {
    return [{ labels, value: child.read ? child.read() : child.value }];
  }
}

/** A bucket's latest exemplar as observed: its label set is only made when it is scraped. */
interface ExemplarSlot {
  traceId: string;
  value: number;
  timestamp: number;
}

function reportedExemplar(slot: ExemplarSlot | null | undefined): Exemplar | null {
  if (!slot) return null;
  return { labelSet: { trace_id: slot.traceId }, value: slot.value, timestamp: slot.timestamp };
}

export class HistogramChild {
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  readonly exemplars: (ExemplarSlot | null)[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    this.exemplars = new Array(bounds.length + 1).fill(null);
  }

  /** Records seconds; a sampled trace's id becomes the bucket's exemplar. */
  observe(seconds: number, traceId?: string): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && seconds > (bounds[index] as number)) index++;
    this.counts[index]!++;
    this.sum += seconds;
    this.count++;
    if (traceId === undefined) return;
    const exemplar = this.exemplars[index];
    if (exemplar) {
      exemplar.traceId = traceId;
      exemplar.value = seconds;
      exemplar.timestamp = Date.now() / 1000;
    } else {
      this.exemplars[index] = { traceId, value: seconds, timestamp: Date.now() / 1000 };
    }
  }
}

export class LeanHistogram extends Family<HistogramChild> {
  readonly type = 'histogram';
  readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames);
    this.bounds = bounds;
  }

  protected create() {
    return new HistogramChild(this.bounds);
  }

  protected values(labels: Labels, child: HistogramChild): MetricValue[] {
    const bucket = `${this.name}_bucket`;
    const out: MetricValue[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, index) => {
      cumulative += child.counts[index] as number;
      out.push({
        labels: { ...labels, le: String(bound) },
        value: cumulative,
        metricName: bucket,
        exemplar: reportedExemplar(child.exemplars[index]),
      });
    });
    out.push({
      labels: { ...labels, le: '+Inf' },
      value: child.count,
      metricName: bucket,
      exemplar: reportedExemplar(child.exemplars[this.bounds.length]),
    });
    out.push({ labels, value: child.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: child.count, metricName: `${this.name}_count` });
    return out;
  }
}
