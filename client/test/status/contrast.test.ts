// The page's colours, read from its stylesheet, meet WCAG AA in both schemes: 4.5:1 for text, 3:1 for
// the marks (strip, charts) against the card they sit on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const css = readFileSync(new URL('../../src/status/page/style.css', import.meta.url), 'utf8');

function palette(block: string): Record<string, string> {
  return Object.fromEntries(
    [...block.matchAll(/--([a-z]+):\s*(#[0-9a-f]{6})/g)].map((match) => [match[1], match[2]]),
  );
}

const light = palette(css.slice(css.indexOf(':root'), css.indexOf('@media')));
const dark = { ...light, ...palette(css.slice(css.indexOf('@media (prefers-color-scheme: dark)'))) };

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((index) => {
    const channel = Number.parseInt(hex.slice(index, index + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (high + 0.05) / (low + 0.05);
}

describe('status page colours', () => {
  for (const [scheme, colors] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it(`meet WCAG AA in the ${scheme} scheme`, () => {
      for (const background of ['bg', 'card'] as const) {
        for (const text of ['text', 'muted', 'link', 'ok', 'fail', 'chaos'] as const) {
          const ratio = contrast(colors[text] as string, colors[background] as string);
          assert.ok(ratio >= 4.5, `${scheme}: --${text} on --${background} is ${ratio.toFixed(2)}:1`);
        }
        for (const mark of ['ok', 'fail', 'warn', 'none'] as const) {
          const ratio = contrast(colors[mark] as string, colors[background] as string);
          assert.ok(ratio >= 3, `${scheme}: --${mark} marks on --${background} are ${ratio.toFixed(2)}:1`);
        }
      }
    });
  }

  it('write the state pills in white on colours dark enough', () => {
    for (const pill of ['#1a7f37', '#cf222e', '#57606a']) {
      assert.ok(css.includes(pill));
      assert.ok(contrast('#ffffff', pill) >= 4.5, `${pill}: ${contrast('#ffffff', pill).toFixed(2)}:1`);
    }
  });
});
