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
  /** When a pending row is due; for a dead one, when it was given up. */
  nextAt: number;
}

export type OutboxState = 'PENDING' | 'DELIVERED' | 'DEAD';

/** A row as listed to operators: with its state, why its last attempt failed, and its place in the order. */
export interface OutboxListedRow extends OutboxRow {
  seq: number;
  state: OutboxState;
  lastError: string | null;
  createdAt: number;
}

const CLAIMED = 'claimed ';

const LISTED =
  '{id}, {seq}, {msg_key}, {kind}, {url}, {payload}, {attempts}, {next_at}, {state}, {last_error}, {created_at}';

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

  /**
   * The first pending message of each key, if it is due, oldest first and at most `limit` of them: the
   * database picks them (ix_<table>_key answers "is an older one of its key pending?"), so a backlog
   * of any size costs one bounded read.
   */
  async due(now: number, limit = 500): Promise<OutboxRow[]> {
    const rows: Array<Record<string, unknown>> = await this.db.run((em) =>
      em.query(
        this.sql(
          'SELECT o.{id}, o.{msg_key}, o.{kind}, o.{url}, o.{payload}, o.{attempts}, o.{next_at} FROM $T o ' +
            "WHERE o.{state} = 'PENDING' AND o.{next_at} <= ? AND NOT EXISTS (SELECT 1 FROM $T p " +
            "WHERE p.{msg_key} = o.{msg_key} AND p.{state} = 'PENDING' AND p.{seq} < o.{seq}) ORDER BY o.{seq}" +
            this.first(),
        ),
        [now, limit],
      ),
    );
    return rows.map((r) => this.row(r));
  }

  /** Rows in one state (`DEAD`, `PENDING`), newest first, after the (seq, id) of the last row of the page before. */
  async list(state: OutboxState, limit: number, after?: { seq: number; id: string }): Promise<OutboxListedRow[]> {
    const page = after ? ' AND ({seq} < ? OR ({seq} = ? AND {id} < ?))' : '';
    const rows: Array<Record<string, unknown>> = await this.db.run((em) =>
      em.query(
        this.sql(`SELECT ${LISTED} FROM $T WHERE {state} = ?${page} ORDER BY {seq} DESC, {id} DESC${this.first()}`),
        after ? [state, after.seq, after.seq, after.id, limit] : [state, limit],
      ),
    );
    return rows.map((r) => this.listed(r));
  }

  async get(id: string): Promise<OutboxListedRow | undefined> {
    const rows: Array<Record<string, unknown>> = await this.db.run((em) =>
      em.query(this.sql(`SELECT ${LISTED} FROM $T WHERE {id} = ?`), [id]),
    );
    return rows.length ? this.listed(rows[0]) : undefined;
  }

  /**
   * A dead row is pending again, due now, with a fresh attempt budget (an operator's retry). Answers
   * the row as it is now; undefined if there is none; a row that is not dead is left as it is.
   * `within` runs in the same transaction (the operator's audit event).
   */
  async retry(
    id: string,
    now: number,
    within?: (em: EntityManager) => Promise<void>,
  ): Promise<OutboxListedRow | undefined> {
    const work = async (em: EntityManager) => {
      await em.query(
        this.sql(
          `UPDATE $T SET {state} = 'PENDING', {attempts} = 0, {next_at} = ? WHERE {id} = ? AND {state} = 'DEAD'`,
        ),
        [now, id],
      );
      if (within) await within(em);
    };
    await (within ? this.db.tx(work) : this.db.run(work));
    return this.get(id);
  }

  /**
   * Takes a due row for `leaseUntil` if nobody else took it since it was read: the conditional update
   * lets one process win, and the token it wrote tells the winner it is itself.
   */
  async claim(row: OutboxRow, leaseUntil: number): Promise<boolean> {
    const token = `${CLAIMED}${randomUUID()}`;
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

  /** The row limit of a query, as the database spells it (its value is the last parameter). */
  private first(): string {
    return this.db.type === 'oracle' ? ' FETCH FIRST ? ROWS ONLY' : ' LIMIT ?';
  }

  private row(r: Record<string, unknown>): OutboxRow {
    return {
      id: String(r.id),
      key: String(r.msg_key),
      kind: String(r.kind),
      url: String(r.url),
      payload: JSON.parse(String(r.payload)),
      attempts: num(r.attempts),
      nextAt: num(r.next_at),
    };
  }

  private listed(r: Record<string, unknown>): OutboxListedRow {
    return {
      ...this.row(r),
      seq: num(r.seq),
      state: String(r.state) as OutboxState,
      // A lease's token (claim) is no error: the row is being delivered.
      lastError: typeof r.last_error === 'string' && !r.last_error.startsWith(CLAIMED) ? r.last_error : null,
      createdAt: num(r.created_at),
    };
  }

  /**
   * Deletes the delivered rows whose key starts with one of `keyPrefixes` (literal text), in the caller's
   * transaction, and answers how many: what a sender's own retention purges along with what the rows were about.
   * Pending and dead rows stay (an operator may still retry a dead one).
   */
  async deleteDelivered(em: EntityManager, keyPrefixes: string[]): Promise<number> {
    let deleted = 0;
    // A bounded statement whatever the batch: 100 prefixes (200 placeholders at most) each.
    for (let i = 0; i < keyPrefixes.length; i += 100) {
      const chunk = keyPrefixes.slice(i, i + 100);
      const where = `{state} = 'DELIVERED' AND (${chunk.map(() => "{msg_key} LIKE ? ESCAPE '!'").join(' OR ')})`;
      const patterns = chunk.map((p) => `${p.replace(/[!%_]/g, '!$&')}%`);
      const [{ n }]: Array<{ n: unknown }> = await em.query(
        this.sql(`SELECT COUNT(*) AS {n} FROM $T WHERE ${where}`),
        patterns,
      );
      if (num(n)) await em.query(this.sql(`DELETE FROM $T WHERE ${where}`), patterns);
      deleted += num(n);
    }
    return deleted;
  }

  async counts(): Promise<Record<string, number>> {
    const rows: Array<{ state: string; n: unknown }> = await this.db.run((em) =>
      em.query(this.sql(`SELECT {state}, COUNT(*) AS {n} FROM $T GROUP BY {state}`)),
    );
    return Object.fromEntries(rows.map((r) => [r.state, num(r.n)]));
  }
}
