import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../src/clock.ts';
import { cronPeriodMs, cronProblem } from '../src/config/cron.ts';
import { CronTicker } from '../src/scheduler/cron-ticker.ts';
import { onCronSkip, routeCronWarnings } from '../src/scheduler/cron-warnings.ts';
import { captureLogger } from './helpers/log-capture.ts';

describe('cron schedules', () => {
  it('validates expressions and measures their shortest gap', () => {
    assert.equal(cronProblem('*/3 * * * * *'), undefined);
    assert.equal(cronProblem('*/5 * * * *'), undefined);
    assert.match(cronProblem('* * *') ?? '', /expected 5 fields/);
    assert.ok(cronProblem('61 * * * * *'));
    assert.match(cronProblem('* * * * * *', 'Mars/Olympus') ?? '', /time zone/);
    assert.equal(cronPeriodMs('*/3 * * * * *'), 3000);
    assert.equal(cronPeriodMs('0 */15 * * * *'), 900_000);
  });

  it('plans each tick at the cron instant plus the offset, and fires after it', async () => {
    const ticks: { plannedAt: number; firedAt: number }[] = [];
    const ticker = new CronTicker('* * * * * *', undefined, 100, 'cron-test', systemClock, {
      onTick: (plannedAt) => ticks.push({ plannedAt, firedAt: systemClock.now() }),
      onMissed: () => {},
    });
    ticker.start();
    const deadline = Date.now() + 5000;
    while (ticks.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    ticker.stop();
    assert.ok(ticks.length >= 2, `expected two ticks, got ${ticks.length}`);
    for (const tick of ticks) {
      const phase = ((tick.plannedAt % 1000) + 1000) % 1000;
      assert.ok(
        phase > 90 && phase < 110,
        `planned ${tick.plannedAt} should sit 100 ms after a whole second`,
      );
      assert.ok(tick.firedAt >= tick.plannedAt - 1, 'a tick never runs before its plan');
    }
    // Each plan maps cron's wall-clock instant onto the monotonic clock at that tick; where the wall
    // clock is being adjusted (a VM's, NTP) the two scales move apart by a few ms between ticks (one
    // CI run saw 994.9 ms). The phase check above ties each plan to cron's instant; this one, with
    // the same bound, that the plans are a whole second apart.
    const gap = (ticks[1]?.plannedAt ?? 0) - (ticks[0]?.plannedAt ?? 0);
    assert.ok(Math.abs(gap - 1000) < 10, `consecutive plans are one second apart, got ${gap}`);
  });

  it('routes the cron package warnings to the logger and counts skipped runs', () => {
    const { logger, lines } = captureLogger();
    routeCronWarnings(logger);
    let skipped = 0;
    const unregister = onCronSkip('nightly', () => skipped++);
    console.warn(
      `[Cron] Missed execution deadline by 900ms for job "nightly" with cron expression '0 0 * * * *'. Skipping execution as it exceeds threshold (250ms).`,
    );
    console.warn(
      `[Cron] Missed execution deadline by 20ms for job "nightly" with cron expression '0 0 * * * *'. Executing immediately.`,
    );
    unregister();
    assert.equal(skipped, 1);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.level, 'warn');
    assert.equal(lines[0]?.job, 'nightly');
    assert.equal(lines[0]?.skipped, true);
    assert.match(String(lines[0]?.msg), /^cron: Missed execution deadline by 900ms/);
    assert.equal(lines[1]?.skipped, false);
  });
});
