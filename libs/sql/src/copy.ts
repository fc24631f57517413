import { once } from 'node:events';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';

/**
 * One cell in PostgreSQL's COPY text format: `\N` for null, `t`/`f` for booleans, and the four
 * characters the format gives meaning to (backslash, tab, newline, carriage return) escaped.
 */
export function copyCell(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  const s = String(v);
  return /[\\\t\n\r]/.test(s)
    ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : s;
}

/** One row: cells joined by tabs, ended by a newline. */
export function copyLine(cells: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < cells.length; i++) out += (i ? '\t' : '') + copyCell(cells[i]);
  return out + '\n';
}

/**
 * A `COPY … FROM STDIN` in progress. `write` waits when the socket is full, so a producer of any
 * size runs in bounded memory; `end` resolves with the rows PostgreSQL took.
 */
export class CopyIn {
  private failed: Error | undefined;

  private constructor(private readonly stream: pgCopy.CopyStreamQuery) {
    stream.on('error', (err) => (this.failed = err));
  }

  static open(client: pg.ClientBase, sql: string): CopyIn {
    return new CopyIn(client.query(pgCopy.from(sql)));
  }

  async write(chunk: string): Promise<void> {
    if (this.failed) throw this.failed;
    // `once` rejects if the stream errors while we wait.
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
    if (this.failed) throw this.failed;
  }

  async end(): Promise<number> {
    if (this.failed) throw this.failed;
    const done = once(this.stream, 'finish');
    this.stream.end();
    await done;
    return this.stream.rowCount;
  }
}
