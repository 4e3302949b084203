// The lean root context: the API's Context contract (immutable, keyed by symbol), and what derives from it
// stays lean, so that a request's or a run's context dies young (see lean-context.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { rootContext } from '../src/telemetry/lean-context.ts';

const KEY = createContextKey('test key');
const OTHER = createContextKey('other key');

describe('rootContext', () => {
  test('holds nothing, and setValue returns a new context that holds the value', () => {
    assert.equal(rootContext.getValue(KEY), undefined);
    const withValue = rootContext.setValue(KEY, 1);
    assert.equal(withValue.getValue(KEY), 1);
    assert.equal(rootContext.getValue(KEY), undefined, 'the root is unchanged');
    assert.equal(withValue.constructor, rootContext.constructor, 'a derived context is lean too');
  });

  test('deleteValue returns a new context without the key, the others kept', () => {
    const both = rootContext.setValue(KEY, 'a').setValue(OTHER, 'b');
    const one = both.deleteValue(KEY);
    assert.equal(one.getValue(KEY), undefined);
    assert.equal(one.getValue(OTHER), 'b');
    assert.equal(both.getValue(KEY), 'a', 'the original is unchanged');
  });

  test('carries a span as the API expects, without the methods being own closures', () => {
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    const withSpan = trace.setSpanContext(rootContext, spanContext);
    assert.deepEqual(trace.getSpanContext(withSpan), spanContext);
    assert.deepEqual(Object.keys(withSpan), [], 'no own properties: the methods are on the prototype');
    assert.ok(Object.keys(ROOT_CONTEXT).includes('setValue'), "the API's own context keeps closures");
  });
});
