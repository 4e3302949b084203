// A stdout destination for the access log that writes once per event-loop turn instead of once per
// line: at thousands of requests a second the syscalls add up. Writes stay at most PIPE_BUF (4096)
// bytes of whole lines, so lines from cluster workers sharing the pipe never interleave.
import { writeSync } from 'node:fs';

const PIPE_BUF = 4096;

export class LineBuffer {
  private readonly fd: number;
  private pending: string[] = [];
  private size = 0;
  private scheduled = false;

  constructor(fd = 1) {
    this.fd = fd;
    process.once('exit', () => this.flushSync());
  }

  write(line: string): boolean {
    if (this.size + line.length > PIPE_BUF && this.size > 0) this.flushSync();
    this.pending.push(line);
    this.size += line.length;
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
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    this.size = 0;
    writeFully(this.fd, Buffer.from(text));
  }
}

function writeFully(fd: number, buffer: Buffer): void {
  let offset = 0;
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
