import type { EntityManager } from 'typeorm';
import type { DeliveryState, Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { decodeCursor, encodeCursor, type OperationDoc, pageQuery, parseLimit } from '#ferry/http';
import type { OutboxListedRow, OutboxStore } from './store.js';

const LISTED = ['DEAD', 'PENDING'] as const;

export interface UndeliveredQuery {
  status?: string;
  cursor?: string;
  limit?: string;
}

export interface OutboxListingOptions<V> {
  /** What one row is called in a 404 or 409 ("Alert delivery"). */
  noun: string;
  /** The view's own fields, read from the row (its id and delivery state are added). */
  view: (row: OutboxListedRow) => Omit<V, 'id' | keyof DeliveryState>;
  /** Delivers now: a retried row is due at once. */
  kick: () => void;
  clock?: () => number;
}

/**
 * An outbox's messages not delivered, for operators: a DEAD one (refused for good, or its attempts
 * spent) is listed until an operator retries it, which gives it a fresh attempt budget. Every app's
 * outbox answers its admin routes through this.
 */
export class OutboxListing<V extends { id: string } & DeliveryState> {
  constructor(
    private readonly store: Pick<OutboxStore, 'list' | 'get' | 'retry'>,
    private readonly opts: OutboxListingOptions<V>,
  ) {}

  /** One page of DEAD (the default) or PENDING rows, newest first. */
  async list(q: UndeliveredQuery): Promise<Page<V>> {
    const status = (q.status ?? 'DEAD') as (typeof LISTED)[number];
    if (!LISTED.includes(status))
      throw ApiError.validation([{ path: 'status', problem: `must be one of ${LISTED.join(', ')}` }]);
    const limit = parseLimit(q.limit);
    const after = decodeCursor(q.cursor);
    const rows = await this.store.list(status, limit + 1, after && { seq: after.at, id: after.id });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => this.view(row)),
      nextCursor: rows.length > limit ? encodeCursor({ at: last.seq, id: last.id }) : null,
    };
  }

  /**
   * DEAD → PENDING, due now, with a fresh attempt budget; 404 for no such row, 409 for one that is not dead.
   * `within` runs in the retry's transaction with the row as it was (the operator's audit event).
   */
  async retry(id: string, within?: (em: EntityManager, before: V) => Promise<void>): Promise<V> {
    const row = id.length <= 36 ? await this.store.get(id) : undefined;
    if (!row) throw ApiError.notFound(this.opts.noun, id);
    if (row.state !== 'DEAD') throw ApiError.conflict(`${this.opts.noun} ${id} is ${row.state}, not DEAD`);
    const before = this.view(row);
    const now = await this.store.retry(
      id,
      (this.opts.clock ?? Date.now)(),
      within && ((em: EntityManager) => within(em, before)),
    );
    this.opts.kick();
    return this.view(now ?? row);
  }

  private view(row: OutboxListedRow): V {
    return { id: row.id, ...this.opts.view(row), ...deliveryState(row) } as V;
  }
}

export function deliveryState(row: OutboxListedRow): DeliveryState {
  const dead = row.state === 'DEAD';
  return {
    status: dead ? 'DEAD' : 'PENDING',
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: new Date(row.createdAt).toISOString(),
    deadAt: dead ? new Date(row.nextAt).toISOString() : null,
    nextAttemptAt: dead ? null : new Date(row.nextAt).toISOString(),
  };
}

/**
 * The OpenAPI of an outbox's two admin routes (`GET /<things>`, `POST /<things>/{id}/retry`), worded
 * alike in every app: `plural` and `one` name what is listed ("Alert notifications", "notification").
 */
export function undeliveredDocs(
  names: { plural: string; one: string },
  schemas: { page: object; view: object },
): { list: OperationDoc; retry: OperationDoc } {
  const { plural, one } = names;
  return {
    list: {
      summary: `${plural} not delivered (DEAD by default), newest first`,
      answers: { 200: { schema: schemas.page, description: 'One page' } },
      query: {
        status: {
          schema: { enum: [...LISTED] },
          description: 'DEAD (default): given up, waiting for an operator; PENDING: being retried',
        },
        ...pageQuery(500, 50),
      },
      errors: { 422: 'an unknown status, a cursor this API did not issue, or a limit out of range' },
    },
    retry: {
      summary: `Delivers a DEAD ${one} again, with a fresh attempt budget`,
      answers: { 200: { schema: schemas.view, description: `The ${one} now (PENDING, due now)` } },
      errors: { 404: `no such ${one}`, 409: `the ${one} is not DEAD` },
    },
  };
}
