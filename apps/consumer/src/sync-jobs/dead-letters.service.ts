import { Inject, Injectable } from '@nestjs/common';
import type { Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { Db } from '#ferry/persistence';
import { dialect, named, num } from '#ferry/sql';

export interface RejectedRecord {
  fileIndex: number;
  position: number;
  record: unknown;
  reasons: string[];
}

/** Rejected records with their reasons, paged by (file, position). */
@Injectable()
export class DeadLettersService {
  constructor(@Inject(Db) private readonly db: Db) {}

  private sql(s: string): string {
    return dialect(
      named(s, (n) => this.db.dataSource.driver.escape(n)),
      this.db.type,
    );
  }

  async list(jobId: string, cursor: string | undefined, limitText: string | undefined): Promise<Page<RejectedRecord>> {
    const limit = limitText ? Number(limitText) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw ApiError.validation([{ path: 'limit', problem: 'must be an integer from 1 to 1000' }]);
    const m = cursor ? /^(\d{1,9})\.(\d{1,9})$/.exec(cursor) : ['', '-1', '0'];
    if (!m) throw ApiError.validation([{ path: 'cursor', problem: 'is not a cursor this API issued' }]);
    const [fi, pos] = [Number(m[1]), Number(m[2])];
    const sql = this.sql(
      'SELECT {file_index}, {position}, {record}, {reasons} FROM {con_dead_letters} ' +
        'WHERE {job_id} = ? AND ({file_index} > ? OR ({file_index} = ? AND {position} > ?)) ' +
        'ORDER BY {file_index}, {position}' +
        (this.db.type === 'oracle' ? ' FETCH FIRST ? ROWS ONLY' : ' LIMIT ?'),
    );
    const { rows, exists } = await this.db.run(async (em) => ({
      rows: (await em.query(sql, [jobId, fi, fi, pos, limit])) as Array<Record<string, unknown>>,
      exists: (await em.query(this.sql('SELECT {job_id} FROM {con_jobs} WHERE {job_id} = ?'), [jobId])).length > 0,
    }));
    if (!exists) throw ApiError.notFound('Sync job', jobId);
    const items = rows.map((r) => ({
      fileIndex: num(r.file_index),
      position: num(r.position),
      record: JSON.parse(String(r.record)),
      reasons: JSON.parse(String(r.reasons)),
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: items.length === limit ? `${last.fileIndex}.${last.position}` : null };
  }
}
