// The OpenTelemetry Context, with its methods on the prototype. The API's own (BaseContext) gives each
// context three closures that refer back to it; on Node 24's V8 such an object outlives every young-
// generation collection, and with it the span it holds (client/bench/young-survivors.ts). A context per
// request or probe run, all promoted, each costing a share of a full collection. Same interface, same
// values: a context is immutable, setValue and deleteValue return a new one.
import type { Context } from '@opentelemetry/api';

class LeanContext implements Context {
  readonly #values: Map<symbol, unknown>;

  constructor(values: Map<symbol, unknown>) {
    this.#values = values;
  }

  getValue(key: symbol): unknown {
    return this.#values.get(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const values = new Map(this.#values);
    values.set(key, value);
    return new LeanContext(values);
  }

  deleteValue(key: symbol): Context {
    const values = new Map(this.#values);
    values.delete(key);
    return new LeanContext(values);
  }
}

/** The empty context, the parent of a request that carries no trace (the API's ROOT_CONTEXT, lean). */
export const rootContext: Context = new LeanContext(new Map());
