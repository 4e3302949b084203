import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ConfigError } from '../src/config/load.ts';
import { type WatchedConfig, watchConfig } from '../src/config/watch.ts';
import { createLogger } from '../src/logger.ts';
import { registry } from '../src/metrics.ts';
import { eventually } from '../testing/process.ts';

const schema = z.strictObject({ greeting: z.string(), port: z.number() });
type Config = z.output<typeof schema>;

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service: 'watch-test', format: 'json', destination }), lines };
}

async function gaugeValue(name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  return (await metric?.get())?.values[0]?.value;
}
const reloadSuccessful = () => gaugeValue('config_last_reload_successful');
const reloadTimestamp = () => gaugeValue('config_last_reload_success_timestamp_seconds');

// Waits are generous and bounded: file events on a loaded machine can take a while.
const WAIT_MS = 10_000;

let directory: string;
let file: string;
let watched: WatchedConfig<Config> | undefined;
let applied: { next: Config; previous: Config | undefined }[];
let log: ReturnType<typeof capturedLogger>;

async function startWatching(
  options: { apply?: (next: Config) => void | Promise<void>; sighup?: boolean } = {},
) {
  watched = await watchConfig({
    file,
    schema,
    logger: log.logger,
    apply: async (next, previous) => {
      await options.apply?.(next);
      applied.push({ next, previous });
    },
    debounceMs: 50,
    pollIntervalMs: 200,
    sighup: options.sighup,
  });
  return watched;
}

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'runtime-config-watch-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

let counter = 0;
async function freshFile(text: string) {
  file = join(directory, `config-${++counter}.yaml`);
  await writeFile(file, text);
  applied = [];
  log = capturedLogger();
}

afterEach(() => {
  // Closing is what lets `node --test` exit: the watcher holds an inotify handle.
  watched?.close();
  watched = undefined;
});

describe('watchConfig: the first load', () => {
  test('loads, applies and exposes the config; the gauges say success', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const before = Date.now() / 1000;
    const config = await startWatching();
    assert.deepEqual(config.current, { greeting: 'hello', port: 1 });
    assert.deepEqual(applied, [{ next: { greeting: 'hello', port: 1 }, previous: undefined }]);
    assert.equal(await reloadSuccessful(), 1);
    assert.ok(((await reloadTimestamp()) ?? 0) >= before);
  });

  test('a broken file is a ConfigError with its position, and nothing is applied', async () => {
    await freshFile('greeting: hello\nport: eighty\n');
    await assert.rejects(startWatching(), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${file}:2:7: port: expected a number, not the text "eighty"`);
      return true;
    });
    assert.deepEqual(applied, []);
    assert.equal(await reloadSuccessful(), 0);
  });

  test('a missing file is a ConfigError that says so', async () => {
    await freshFile('');
    await unlink(file);
    await assert.rejects(startWatching(), { name: 'ConfigError', message: `${file}:1:1: file not found` });
  });

  test('an apply that throws fails the start', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    await assert.rejects(
      startWatching({
        apply: () => {
          throw new Error('cannot bind');
        },
      }),
      /cannot bind/,
    );
  });
});

describe('watchConfig: reloads', () => {
  test('an edit is applied, with the previous config, and logged', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    await writeFile(file, 'greeting: hi\nport: 2\n');
    await eventually(() => assert.deepEqual(config.current, { greeting: 'hi', port: 2 }), WAIT_MS);
    assert.deepEqual(applied.at(-1), {
      next: { greeting: 'hi', port: 2 },
      previous: { greeting: 'hello', port: 1 },
    });
    const reloaded = log.lines.find((line) => line.msg === 'config reloaded');
    assert.equal(reloaded?.reason, 'file changed');
    assert.equal(reloaded?.config_file, file);
    assert.equal(await reloadSuccessful(), 1);
  });

  test('a broken edit is refused with its position, the last good config stays, the gauge drops to 0 and recovers', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    const firstSuccess = (await reloadTimestamp()) ?? 0;

    await writeFile(file, 'greeting: hello\nport: 1\nextra: true\n');
    await eventually(async () => assert.equal(await reloadSuccessful(), 0), WAIT_MS);
    assert.deepEqual(config.current, { greeting: 'hello', port: 1 });
    assert.equal(applied.length, 1, 'only the first load was applied');
    const refused = log.lines.find((line) => String(line.msg).startsWith('config reload refused'));
    assert.ok(refused, 'the refusal is logged');
    assert.equal(refused.level, 'error');
    assert.match(String(refused.msg), new RegExp(`${file}:3:1: extra: unknown field "extra"`));
    assert.deepEqual(refused.issues, [
      { file, line: 3, column: 1, path: 'extra', message: 'unknown field "extra"' },
    ]);

    await writeFile(file, 'greeting: fixed\nport: 1\n');
    await eventually(async () => assert.equal(await reloadSuccessful(), 1), WAIT_MS);
    assert.equal(config.current.greeting, 'fixed');
    assert.ok(((await reloadTimestamp()) ?? 0) >= firstSuccess);
  });

  test('an apply that throws on reload is refused the same way', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    let refuse = false;
    const config = await startWatching({
      apply: (next) => {
        if (refuse) throw new Error(`port ${next.port} is taken`);
      },
    });
    refuse = true;
    assert.equal(await writeAndReload(config, 'greeting: hello\nport: 2\n'), false);
    assert.equal(config.current.port, 1);
    assert.equal(await reloadSuccessful(), 0);
    const refused = log.lines.find((line) => String(line.msg).startsWith('config reload refused'));
    assert.match(String(refused?.msg), /port 2 is taken/);
  });

  test('a save by atomic rename (how most editors save) is picked up', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    const temporary = join(directory, '.config.yaml.swp');
    await writeFile(temporary, 'greeting: renamed\nport: 3\n');
    await rename(temporary, file);
    await eventually(() => assert.equal(config.current.greeting, 'renamed'), WAIT_MS);
    // And it keeps watching the new file after the rename.
    await writeFile(file, 'greeting: again\nport: 3\n');
    await eventually(() => assert.equal(config.current.greeting, 'again'), WAIT_MS);
  });

  test('while the file is briefly missing the last good config stays; it is read again when back', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    await unlink(file);
    assert.equal(await config.reload('test'), false);
    assert.equal(config.current.greeting, 'hello');
    await writeFile(file, 'greeting: back\nport: 1\n');
    await eventually(() => assert.equal(config.current.greeting, 'back'), WAIT_MS);
  });

  test('a file gone for good is said once, and the last good config runs on', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    await unlink(file);
    const said = () =>
      log.lines.filter((line) => line.msg === 'config file not found, keeping the last good config');
    await eventually(() => assert.equal(said().length, 1), WAIT_MS);
    assert.equal(config.current.greeting, 'hello');
    await config.reload('test');
    assert.equal(said().length, 1);
    await writeFile(file, 'greeting: back\nport: 1\n');
    await eventually(() => assert.equal(config.current.greeting, 'back'), WAIT_MS);
  });

  test('an emptied file, or one of only comments, is refused on reload (a save caught halfway)', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    const refusals = () => log.lines.filter((line) => line.level === 'error');
    for (const [index, text] of ['\n', '# yaml-language-server: $schema=x.json\n\n---\n...\n'].entries()) {
      await writeFile(file, text);
      await eventually(() => assert.equal(refusals().length, index + 1), WAIT_MS);
      assert.match(
        String(refusals()[index]?.msg),
        /the file holds no settings \(it is empty, or only comments\)/,
      );
      assert.equal(await reloadSuccessful(), 0);
      assert.equal(config.current.greeting, 'hello');
    }
    assert.equal(applied.length, 1);
    await writeFile(file, '# still a comment\ngreeting: full\nport: 1\n');
    await eventually(() => assert.equal(config.current.greeting, 'full'), WAIT_MS);
    assert.equal(await reloadSuccessful(), 1);
  });

  test('a file replaced by a named pipe is refused once, without hanging, and the config runs on', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    await unlink(file);
    execFileSync('mkfifo', [file]);
    const refusals = () => log.lines.filter((line) => String(line.msg).includes('this is a named pipe'));
    await eventually(() => assert.equal(refusals().length, 1), WAIT_MS);
    // The watch event and the polls that follow say nothing new.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(refusals().length, 1);
    assert.equal(config.current.greeting, 'hello');
    await unlink(file);
    await writeFile(file, 'greeting: back\nport: 1\n');
    await eventually(() => assert.equal(config.current.greeting, 'back'), WAIT_MS);
  });

  test('touching the file without changing it applies nothing', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    await writeFile(file, 'greeting: hello\nport: 1\n');
    await writeFile(file, 'greeting: changed\nport: 1\n');
    await eventually(() => assert.equal(config.current.greeting, 'changed'), WAIT_MS);
    assert.deepEqual(
      applied.map(({ next }) => next.greeting),
      ['hello', 'changed'],
    );
  });

  test('reload() reads the file again even if unchanged and says whether it applied', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    assert.equal(await config.reload(), true);
    assert.equal(applied.length, 2);
    await writeFile(file, 'greeting: [broken\n');
    assert.equal(await config.reload(), false);
    assert.equal(config.current.greeting, 'hello');
  });

  test('loads run one at a time, in order', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    let running = 0;
    let overlapped = false;
    const config = await startWatching({
      apply: async () => {
        running++;
        overlapped ||= running > 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
      },
    });
    const results = await Promise.all([config.reload('a'), config.reload('b'), config.reload('c')]);
    assert.deepEqual(results, [true, true, true]);
    assert.equal(overlapped, false);
    assert.equal(applied.length, 4);
  });
});

describe('watchConfig: SIGHUP', () => {
  // Each test waits until its signal was handled: once afterEach removes the listener, a late SIGHUP
  // would terminate the test process.
  const handledSighup = () =>
    eventually(() => assert.ok(log.lines.some((line) => line.reason === 'SIGHUP')), WAIT_MS);

  test('SIGHUP reloads the file, even when it did not change', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    await startWatching();
    // Without a listener SIGHUP would terminate the test process: make sure ours is there first.
    assert.ok(process.listenerCount('SIGHUP') > 0);
    process.kill(process.pid, 'SIGHUP');
    await handledSighup();
    assert.equal(applied.length, 2);
    assert.deepEqual(applied[1]?.next, { greeting: 'hello', port: 1 });
    assert.equal(log.lines.find((line) => line.msg === 'config reloaded')?.reason, 'SIGHUP');
  });

  test('SIGHUP after an edit applies the edit', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    // Whichever comes first, the file event or the signal, the result is the same config.
    await writeFile(file, 'greeting: hup\nport: 1\n');
    process.kill(process.pid, 'SIGHUP');
    await eventually(() => assert.equal(config.current.greeting, 'hup'), WAIT_MS);
    await handledSighup();
  });

  test('SIGHUP with a broken file keeps the last good config', async () => {
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    await writeFile(file, 'greeting: hello\nport: [\n');
    process.kill(process.pid, 'SIGHUP');
    await handledSighup();
    assert.equal(await reloadSuccessful(), 0);
    assert.equal(config.current.greeting, 'hello');
  });

  test('close() removes the SIGHUP handler; sighup: false never installs one', async () => {
    const before = process.listenerCount('SIGHUP');
    await freshFile('greeting: hello\nport: 1\n');
    const config = await startWatching();
    assert.equal(process.listenerCount('SIGHUP'), before + 1);
    config.close();
    assert.equal(process.listenerCount('SIGHUP'), before);
    await startWatching({ sighup: false });
    assert.equal(process.listenerCount('SIGHUP'), before);
  });
});

/** Writes new text and reloads at once, without waiting for the file events. */
async function writeAndReload(config: WatchedConfig<Config>, text: string): Promise<boolean> {
  await writeFile(file, text);
  return config.reload('test');
}
