import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FixedWindow } from '../../src/policies/rate-limit/fixed-window.ts';

describe('fixed window', () => {
  it('lets at most `capacity` requests through per window, then starts over', () => {
    const window = new FixedWindow(3, 1000, 0);
    assert.deepEqual(
      [0, 10, 20, 30, 999].map((now) => window.take(now)),
      [true, true, true, false, false],
    );
    assert.equal(window.remaining, 0);
    assert.equal(window.msUntilToken(), 1, 'the window ends 1 ms after the last refusal');
    assert.equal(window.take(1000), true, 'a new window');
    assert.equal(window.remaining, 2);
  });

  it('never lets more than `capacity` through within one window, unlike a refilling bucket', () => {
    const window = new FixedWindow(5, 5000, 0);
    let passed = 0;
    for (let now = 0; now < 5000; now += 100) if (window.take(now)) passed++;
    assert.equal(passed, 5);
  });

  it('keeps windows aligned to the first one across idle gaps', () => {
    const window = new FixedWindow(1, 1000, 0);
    assert.equal(window.take(0), true);
    assert.equal(window.take(3500), true);
    assert.equal(window.take(3999), false);
    assert.equal(window.msUntilFull(), 1);
    assert.equal(window.isFull(4000), true);
  });
});
