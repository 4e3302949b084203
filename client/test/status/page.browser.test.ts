// The status page in a real browser: Debian's chromium driven by playwright-core, against the real prober
// probing a fixture on loopback. .ci/run installs chromium; under CI=true a missing browser fails the test.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Fixture, startFixture, tempDir, text, writeConfig } from '../helpers/fixtures.ts';
import { type Started, startProber } from '../helpers/processes.ts';

// The functions given to page.evaluate and page.waitForFunction run in the browser; the project is
// type-checked without the DOM library (it would clash with Node's types), so these are declared here.
// biome-ignore lint/suspicious/noExplicitAny: a browser global, checked by the browser
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: a browser global, checked by the browser
declare const window: any;
// biome-ignore lint/suspicious/noExplicitAny: a browser global, checked by the browser
declare const Image: any;

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const missing = !existsSync(CHROMIUM);
const skip =
  missing && process.env.CI !== 'true' ? `${CHROMIUM} not installed (bash .ci/run installs it)` : false;
// Generous: the host may be loaded; every wait still ends.
const WAIT = { timeout: 30_000 };
// Polling by interval: requestAnimationFrame can stall in a headless page that is not in front.
const UNTIL = { ...WAIT, polling: 100 };
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

describe('status page in Chromium', { skip, timeout: 240_000 }, () => {
  let fixture: Fixture;
  let prober: Started;
  let browser: Browser;
  let base: string;
  let switchStatus = 200;

  before(async () => {
    if (missing)
      throw new Error(
        `CI=true and ${CHROMIUM} is missing: bash .ci/run installs it (apt-get install chromium)`,
      );
    fixture = await startFixture({
      '/ok': text('fine'),
      '/switch': (_request, response) => {
        response.writeHead(switchStatus, { 'content-type': 'text/plain' });
        response.end('switch');
      },
      '/chaos': text('toggled'),
    });
    const dir = await tempDir();
    const config = await writeConfig(
      dir,
      `
probes:
  - { name: alpha, url: "http://user:hunter2@127.0.0.1:${fixture.port}/ok", every: 500ms }
  - { name: beta, url: "${fixture.url}/switch", every: 500ms, failureThreshold: 2, successThreshold: 1 }
  - name: xss
    url: "${fixture.url}/ok"
    every: 1s
    expect: { body: { contains: '${XSS}' } }
actions:
  - { name: chaos-toggle, every: 1s, request: { method: POST, url: "${fixture.url}/chaos" } }
history: { file: ${join(dir, 'history.json')} }
`,
    );
    prober = await startProber(config, { GRAFANA_URL: 'http://admin:secret@grafana.test:3000/' });
    base = `http://127.0.0.1:${prober.metricsPort}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    await prober?.process.stop();
    await fixture?.close();
  });

  const pages: Page[] = [];
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  async function open(
    setup?: (page: Page) => Promise<void>,
    options?: Parameters<Browser['newPage']>[0],
  ): Promise<Page> {
    const page = await browser.newPage(options);
    pages.push(page);
    await setup?.(page);
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded', ...WAIT });
    return page;
  }

  const card = (name: string) => `article[data-probe="${name}"]`;

  /** page.waitForFunction, telling what the page showed when it times out. */
  async function until<A>(page: Page, predicate: (arg: A) => unknown, arg: A): Promise<void> {
    try {
      await page.waitForFunction(predicate as (arg: unknown) => unknown, arg, UNTIL);
    } catch (error) {
      const shown = await page.evaluate(() => ({
        connection: document.getElementById('connection')?.textContent,
        probes: document.getElementById('probes')?.innerText,
      }));
      throw new Error(`${(error as Error).message}\npage showed: ${JSON.stringify(shown, null, 2)}`);
    }
  }

  it('shows every probe of the config, live, and no password', async () => {
    const page = await open();
    await until(page, () => document.querySelectorAll('article[data-probe]').length === 3, null);
    const names = await page.$$eval('article[data-probe] h3', (headings) =>
      headings.map((h) => h.textContent),
    );
    assert.deepEqual(names.sort(), ['alpha', 'beta', 'xss']);
    await until(page, () => document.getElementById('connection')?.textContent === 'live', null);
    await until(
      page,
      (selector: string) => document.querySelector(`${selector} .state`)?.textContent === 'up',
      card('alpha'),
    );
    const body = await page.textContent('body');
    assert.doesNotMatch(body ?? '', /hunter2/);
    assert.match(
      (await page.textContent(`${card('alpha')} .target`)) ?? '',
      /GET http:\/\/127\.0\.0\.1:\d+\/ok/,
    );
  });

  it('turns a probe down without a reload; its strip and uptime change', async () => {
    const page = await open();
    await until(
      page,
      (selector: string) => {
        const article = document.querySelector(selector);
        return (
          article?.getAttribute('data-state') === 'up' &&
          (article.querySelectorAll('.run.ok').length ?? 0) >= 2
        );
      },
      card('beta'),
    );
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    // The first runs may have failed on a loaded host: compare with what the page showed before.
    const uptime = () =>
      page
        .textContent(`${card('beta')} .stats div:nth-child(2) dd`)
        .then((text) => Number.parseFloat(text ?? ''));
    const failedRuns = () => page.locator(`${card('beta')} .run.fail`).count();
    const [uptimeBefore, failedBefore] = [await uptime(), await failedRuns()];

    switchStatus = 500;
    await until(
      page,
      (selector: string) => document.querySelector(`${selector} .state`)?.textContent === 'down',
      card('beta'),
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
      true,
    );
    assert.ok(
      (await failedRuns()) >= failedBefore + 2,
      `${await failedRuns()} failed runs, ${failedBefore} before`,
    );
    assert.ok((await uptime()) < uptimeBefore, `uptime ${await uptime()}%, ${uptimeBefore}% before`);
    const tip = await page.getAttribute(`${card('beta')} .run.fail >> nth=-1`, 'data-tip');
    assert.match(tip ?? '', /^\d\d:\d\d:\d\d( [AP]M)?: failed \(http_status\), status 500, \d+(\.\d)? ms$/);
    assert.match(
      (await page.textContent('#timeline')) ?? '',
      /beta went down \(was up\): status 500, expected 2xx/,
    );
    assert.match(
      (await page.textContent('#timeline')) ?? '',
      /chaos chaos-toggle POST http:\/\/127\.0\.0\.1:\d+\/chaos → 200/,
    );
    assert.match((await page.textContent('#summary')) ?? '', /3 probes: \d up, 2 down/);

    // The strip is reachable by keyboard: focus it, then move to the newest run.
    await page.focus(`${card('beta')} .strip`);
    await page.keyboard.press('ArrowLeft');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    assert.match(focused ?? '', /failed \(http_status\), status 500/);

    switchStatus = 200;
    await until(
      page,
      (selector: string) => document.querySelector(`${selector} .state`)?.textContent === 'up',
      card('beta'),
    );
  });

  it('shows untrusted text as text', async () => {
    const page = await open();
    await until(
      page,
      (selector: string) =>
        document.querySelector(`${selector} .stats dd`)?.textContent?.startsWith('failed'),
      card('xss'),
    );
    assert.match((await page.textContent(`${card('xss')} .stats dd`)) ?? '', /<img src=x onerror=/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('main img, main script').count(), 0);
    // Its failing run's trace opens in Grafana (GRAFANA_URL, without the credentials in it).
    const links = await page.$$eval(`${card('xss')} .trace a`, (anchors) =>
      anchors.map((anchor) => decodeURIComponent(anchor.getAttribute('href') ?? '')),
    );
    assert.equal(links.length, 2);
    assert.match(
      links[0] ?? '',
      /^http:\/\/grafana\.test:3000\/explore\?.*"uid":"tempo".*"query":"[0-9a-f]{32}"/,
    );
    assert.match(
      links[1] ?? '',
      /^http:\/\/grafana\.test:3000\/explore\?.*"uid":"loki".*trace_id=\\"[0-9a-f]{32}\\"/,
    );
  });

  it('renders a badge', async () => {
    const page = await open();
    const size = await page.evaluate(async () => {
      const image = new Image();
      image.src = '/badges/alpha/status.svg';
      await image.decode();
      return { width: image.naturalWidth, height: image.naturalHeight };
    });
    assert.ok(size.width > 40, `badge ${size.width}x${size.height}`);
    assert.equal(size.height, 20);
    const response = await page.goto(`${base}/badges/alpha/uptime.svg?window=24h`, WAIT);
    assert.equal(response?.headers()['content-type'], 'image/svg+xml; charset=utf-8');
    assert.match((await page.textContent('svg')) ?? '', /uptime 24h\d+(\.\d+)?%/);
    const unknown = await page.goto(`${base}/badges/nope/status.svg`, WAIT);
    assert.equal(unknown?.status(), 404);
  });

  it('falls back to polling /probes when /events is not reachable', async () => {
    const page = await open(async (page) => {
      await page.route('**/events', (route) => route.abort());
    });
    await until(page, () => document.getElementById('connection')?.textContent?.startsWith('polling'), null);
    assert.equal(await page.locator('article[data-probe]').count(), 3);
  });

  it('is readable on a phone', async () => {
    const page = await open(undefined, { viewport: { width: 375, height: 740 }, isMobile: true });
    await until(page, () => document.querySelectorAll('article[data-probe]').length === 3, null);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  });
});
