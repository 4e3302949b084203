// Which short-lived objects outlive V8's young-generation collections, and so cost a full collection
// each. Every case makes N objects at a steady rate (10 every millisecond), each dropped at once, and
// reads V8's own account (--trace-gc-nvp) of the bytes promoted to the old generation per object after a
// warm-up. A short-lived object should be promoted only if a collection catches it in flight: close to 0.
// No timing: the figures are bytes, and they hold on a busy host.
//
//   node client/bench/young-survivors.ts            # every case, 8,000 objects each
//   options: --objects N
import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const PAYLOAD = 200; // array elements held by each object, so that a survivor is easy to see

const payloadLength = (object: { payload: number[] }) => object.payload.length;
/** Each case makes one object the way some code does, and drops it. */
const cases: Record<string, { text: string; make: () => unknown }> = {
  plain: { text: 'an object', make: () => ({ payload: new Array(PAYLOAD).fill(0) }) },
  'closure in literal': {
    text: 'an object with a method, made in one literal',
    make: () => ({ payload: new Array(PAYLOAD).fill(0), f: () => 1 }),
  },
  'closure stored': {
    text: 'an object, then a new closure stored in one of its properties',
    make: () => {
      const object: { payload: number[]; f?: () => number } = { payload: new Array(PAYLOAD).fill(0) };
      object.f = () => 1;
      return object;
    },
  },
  'closure back to it': {
    text: 'the same, the closure referring to the object',
    make: () => {
      const object: { payload: number[]; f?: () => number } = { payload: new Array(PAYLOAD).fill(0) };
      object.f = () => object.payload.length;
      return object;
    },
  },
  'bound function back to it': {
    text: 'the same, with a bound function instead of the closure',
    make: () => {
      const object: { payload: number[]; f?: () => number } = { payload: new Array(PAYLOAD).fill(0) };
      object.f = payloadLength.bind(null, object);
      return object;
    },
  },
  'stream.Readable': { text: "a Readable (Node's streams)", make: () => new Readable({ read() {} }) },
  'stream.Writable': {
    text: 'a Writable (its state keeps a new closure, `onwrite`)',
    make: () => new Writable({ write: (_chunk, _encoding, done) => done() }),
  },
  'net.Socket': { text: 'a socket, destroyed unconnected (a Duplex)', make: () => new Socket().destroy() },
};

const { values } = parseArgs({
  options: { case: { type: 'string' }, objects: { type: 'string', default: '8000' } },
});
const objects = Number(values.objects);

async function makeAtRate(make: () => unknown, count: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let made = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 10 && made < count; i++, made++) make();
      if (made >= count) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

if (values.case) {
  // The child: warm up, mark where the measurement starts, measure.
  const { make } = cases[values.case] as (typeof cases)[string];
  await makeAtRate(make, 2000);
  console.log('MEASURE');
  await makeAtRate(make, objects);
} else {
  console.log(
    `node ${process.version}: bytes promoted to the old generation per object, ${objects} objects per case\n`,
  );
  console.log('| case | what | promoted per object (bytes) | young-generation collections |');
  console.log('| --- | --- | ---: | ---: |');
  const self = fileURLToPath(import.meta.url);
  for (const [name, { text }] of Object.entries(cases)) {
    const child = spawnSync(
      process.execPath,
      ['--trace-gc-nvp', self, '--case', name, '--objects', String(objects)],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`${name}: ${child.stderr}`);
    const measured = child.stdout.slice(child.stdout.indexOf('MEASURE'));
    let promoted = 0;
    let collections = 0;
    for (const line of measured.split('\n')) {
      if (!/ gc=(s|mms) /.test(line)) continue;
      collections++;
      promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
    }
    console.log(`| ${name} | ${text} | ${Math.round(promoted / objects)} | ${collections} |`);
  }
}
