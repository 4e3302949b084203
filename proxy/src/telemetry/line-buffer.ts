// A stdout destination for the access log that writes once per event-loop turn instead of once per
// line: at thousands of requests a second the syscalls add up. Writes stay at most PIPE_BUF (4096)
// bytes of whole lines, so lines from cluster workers sharing the pipe never interleave.
import { writeSync } from 'node:fs';

const PIPE_BUF = 4096;

export class LineBuffer {
  private readonly fd: number;
  private pending = '';
  private scheduled = false;

  constructor(fd = 1) {
    this.fd = fd;
    process.once('exit', () => this.flushSync());
  }

  write(line: string): boolean {
    if (this.pending.length + line.length > PIPE_BUF && this.pending.length > 0) this.flushSync();
    this.pending += line;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.flushSync();
  };

  flushSync(): void {
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    writeFully(this.fd, text);
  }
}

function writeFully(fd: number, text: string): void {
  // The usual case: the whole string in one write, no Buffer of our own.
  try {
    const written = writeSync(fd, text);
    if (written === Buffer.byteLength(text)) return;
    writeRest(fd, Buffer.from(text), written);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') writeRest(fd, Buffer.from(text), 0);
  }
}

function writeRest(fd: number, buffer: Buffer, from: number): void {
  let offset = from;
  for (let tries = 0; offset < buffer.length && tries < 1000; tries++) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (error) {
      // A non-blocking stdout that is momentarily full: wait a little and go on.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
