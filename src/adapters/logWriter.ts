/**
 * An append-only log written in batches: blocks are gathered and written
 * together (one writev), not one write per pipe read — a fast build delivers
 * tens of thousands of small reads. Memory stays bounded: write() says when
 * the file's buffer is full, and the caller pauses its source until drained.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The log is written in batches of this many bytes, or after this long. */
const BATCH_BYTES = 256 * 1024;
const BATCH_MS = 200;

export class BatchedLog {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Rejects when the file cannot be written (disk full); never resolves. */
  readonly failed: Promise<never>;

  private constructor(private readonly stream: WriteStream) {
    this.failed = new Promise<never>((_, reject) => stream.on('error', reject));
    this.failed.catch(() => undefined); // also when it fails after the output ended
  }

  /** Opens `path` for appending (0600, its directory made), once it is open. */
  static async open(path: string): Promise<BatchedLog> {
    await mkdir(dirname(path), { recursive: true });
    // A roomy buffer lets reading and writing overlap; backpressure still bounds it.
    const stream = createWriteStream(path, { flags: 'a', mode: 0o600, highWaterMark: 4 * 1024 * 1024 });
    await once(stream, 'open');
    return new BatchedLog(stream);
  }

  /** false: the file's buffer is full, pause the source until whenDrained(). */
  write(block: Buffer): boolean {
    this.batch.push(block);
    this.batchBytes += block.length;
    if (this.batchBytes >= BATCH_BYTES) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
    return true;
  }

  /** Hands the gathered blocks to the file now; false as for write(). */
  flush(): boolean {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return !this.stream.writableNeedDrain;
    this.stream.cork();
    for (const b of this.batch) this.stream.write(b);
    process.nextTick(() => this.stream.uncork());
    this.batch = [];
    this.batchBytes = 0;
    return !this.stream.writableNeedDrain;
  }

  whenDrained(resume: () => void): void {
    this.stream.once('drain', resume);
  }

  /** Flushes what is left and closes the file. */
  async close(): Promise<void> {
    this.flush();
    if (this.stream.destroyed) return;
    this.stream.end();
    await once(this.stream, 'close').catch(() => undefined);
  }
}
