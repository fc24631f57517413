import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Db } from '#ferry/persistence';
import { dialect, named, num } from '#ferry/sql';

export interface OutboxMessage {
  /** Messages with one key are delivered in the order they were added. */
  key: string;
  kind: string;
  url: string;
  payload: unknown;
}

export interface OutboxRow extends OutboxMessage {
  id: string;
  attempts: number;
  nextAt: number;
}

let lastSeq = 0;
/** Strictly increasing within a process; ms-based so rows from several processes interleave sensibly. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/** Outbox rows live in the app's own database and are written in the caller's transaction. */
export class OutboxStore {
  constructor(
    private readonly db: Db,
    private readonly table: string,
  ) {}

  private readonly texts = new Map<string, string>();

  /** Names quoted as the migration created them (see `named`); written once per statement. */
  private sql(s: string): string {
    let text = this.texts.get(s);
    if (text === undefined) {
      const quote = (n: string) => this.db.dataSource.driver.escape(n);
      text = dialect(named(s.replaceAll('$T', quote(this.table)), quote), this.db.type);
      this.texts.set(s, text);
    }
    return text;
  }

  /** `coalesce`: drop older undelivered messages of the same key and kind (e.g. progress reports). */
  async add(em: EntityManager, msg: OutboxMessage, opts: { coalesce?: boolean } = {}): Promise<void> {
    const now = Date.now();
    if (opts.coalesce) {
      await em.query(
        this.sql(`DELETE FROM $T WHERE {msg_key} = ? AND {kind} = ? AND {state} = 'PENDING' AND {attempts} = 0`),
        [msg.key, msg.kind],
      );
    }
    await em.query(
      this.sql(
        'INSERT INTO $T ({id}, {seq}, {msg_key}, {kind}, {url}, {payload}, {attempts}, {next_at}, ' +
          "{state}, {created_at}) VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'PENDING', ?)",
      ),
      [randomUUID(), nextSeq(), msg.key, msg.kind, msg.url, JSON.stringify(msg.payload), now, now],
    );
  }

  /** The first pending message of each key, if it is due. */
  async due(now: number, limit = 500): Promise<OutboxRow[]> {
    const rows: Array<Record<string, unknown>> = await this.db.run((em) =>
      em.query(
        this.sql(
          'SELECT {id}, {msg_key}, {kind}, {url}, {payload}, {attempts}, {next_at} FROM $T ' +
            "WHERE {state} = 'PENDING' ORDER BY {seq}",
        ),
      ),
    );
    const seen = new Set<string>();
    const out: OutboxRow[] = [];
    for (const r of rows) {
      const key = String(r.msg_key);
      if (seen.has(key)) continue;
      seen.add(key);
      if (num(r.next_at) > now) continue;
      out.push({
        id: String(r.id),
        key,
        kind: String(r.kind),
        url: String(r.url),
        payload: JSON.parse(String(r.payload)),
        attempts: num(r.attempts),
        nextAt: num(r.next_at),
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Takes a due row for `leaseUntil` if nobody else took it since it was read: the conditional update
   * lets one process win, and the token it wrote tells the winner it is itself.
   */
  async claim(row: OutboxRow, leaseUntil: number): Promise<boolean> {
    const token = `claimed ${randomUUID()}`;
    await this.db.run((em) =>
      em.query(
        this.sql(
          'UPDATE $T SET {next_at} = ?, {last_error} = ? ' +
            "WHERE {id} = ? AND {state} = 'PENDING' AND {attempts} = ? AND {next_at} = ?",
        ),
        [leaseUntil, token, row.id, row.attempts, row.nextAt],
      ),
    );
    const rows: Array<Record<string, unknown>> = await this.db.run((em) =>
      em.query(this.sql(`SELECT {last_error} FROM $T WHERE {id} = ?`), [row.id]),
    );
    return rows.length === 1 && String(rows[0].last_error ?? rows[0].LAST_ERROR) === token;
  }

  async delivered(id: string): Promise<void> {
    await this.db.run((em) =>
      em.query(this.sql(`UPDATE $T SET {state} = 'DELIVERED', {delivered_at} = ? WHERE {id} = ?`), [Date.now(), id]),
    );
  }

  async failed(id: string, attempts: number, nextAt: number, error: string, dead: boolean): Promise<void> {
    await this.db.run((em) =>
      em.query(this.sql(`UPDATE $T SET {attempts} = ?, {next_at} = ?, {last_error} = ?, {state} = ? WHERE {id} = ?`), [
        attempts,
        nextAt,
        error.slice(0, 1000),
        dead ? 'DEAD' : 'PENDING',
        id,
      ]),
    );
  }

  async counts(): Promise<Record<string, number>> {
    const rows: Array<{ state: string; n: unknown }> = await this.db.run((em) =>
      em.query(this.sql(`SELECT {state}, COUNT(*) AS {n} FROM $T GROUP BY {state}`)),
    );
    return Object.fromEntries(rows.map((r) => [r.state, num(r.n)]));
  }
}
