import { describe, expect, it } from '@jest/globals';
import type { DeliveryState } from '#ferry/contracts';
import { OutboxListing } from './listing.js';
import type { OutboxListedRow, OutboxState, OutboxStore } from './store.js';

type View = { id: string; what: string } & DeliveryState;

/** The store's three operator calls over an array, newest (highest seq) first as the database orders them. */
class FakeStore implements Pick<OutboxStore, 'list' | 'get' | 'retry'> {
  constructor(readonly rows: OutboxListedRow[]) {}

  async list(state: OutboxState, limit: number, after?: { seq: number; id: string }) {
    return this.rows
      .filter((r) => r.state === state && (!after || r.seq < after.seq))
      .sort((a, b) => b.seq - a.seq)
      .slice(0, limit);
  }

  async get(id: string) {
    return this.rows.find((r) => r.id === id);
  }

  async retry(id: string, now: number) {
    const row = this.rows.find((r) => r.id === id && r.state === 'DEAD');
    if (row) Object.assign(row, { state: 'PENDING', attempts: 0, nextAt: now });
    return this.get(id);
  }
}

const row = (seq: number, state: OutboxState): OutboxListedRow => ({
  id: `r${seq}`,
  seq,
  key: 'k',
  kind: 'x',
  url: 'http://scheduler/api/v1/triggers',
  payload: { what: `message ${seq}` },
  attempts: state === 'DEAD' ? 3 : 1,
  nextAt: 2_000_000_000_000 + seq,
  state,
  lastError: state === 'DEAD' ? 'gave up after 3 attempts: HTTP 503' : null,
  createdAt: 1_000_000_000_000 + seq,
});

function listing(rows: OutboxListedRow[]) {
  const kicks: number[] = [];
  const store = new FakeStore(rows);
  const l = new OutboxListing<View>(store, {
    noun: 'Message',
    view: (r) => ({ what: (r.payload as { what: string }).what }),
    kick: () => kicks.push(1),
    clock: () => 1_700_000_000_000,
  });
  return { l, kicks, store };
}

describe('OutboxListing', () => {
  it('lists DEAD rows by default, newest first, a page at a time, each with its view and delivery state', async () => {
    const { l } = listing([row(1, 'DEAD'), row(2, 'PENDING'), row(3, 'DEAD'), row(4, 'DEAD')]);
    const first = await l.list({ limit: '2' });
    expect(first.items).toEqual([
      {
        id: 'r4',
        what: 'message 4',
        status: 'DEAD',
        attempts: 3,
        lastError: 'gave up after 3 attempts: HTTP 503',
        createdAt: new Date(1_000_000_000_004).toISOString(),
        deadAt: new Date(2_000_000_000_004).toISOString(),
        nextAttemptAt: null,
      },
      expect.objectContaining({ id: 'r3' }),
    ]);
    const second = await l.list({ limit: '2', cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'r1' })], nextCursor: null });
    const pending = await l.list({ status: 'PENDING' });
    expect(pending.items).toEqual([
      expect.objectContaining({ id: 'r2', status: 'PENDING', deadAt: null, nextAttemptAt: expect.any(String) }),
    ]);
  });

  it('refuses an unknown status, a cursor it did not issue and a limit out of range with 422', async () => {
    const { l } = listing([]);
    for (const q of [{ status: 'DELIVERED' }, { cursor: 'not-ours' }, { limit: '0' }, { limit: '501' }])
      await expect(l.list(q)).rejects.toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
  });

  it('retries a DEAD row (PENDING, due now, no attempts) and kicks the pump; 404 and 409 change nothing', async () => {
    const { l, kicks, store } = listing([row(1, 'DEAD'), row(2, 'PENDING')]);
    expect(await l.retry('r1')).toMatchObject({
      id: 'r1',
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: new Date(1_700_000_000_000).toISOString(),
    });
    expect(kicks).toHaveLength(1);
    await expect(l.retry('r1')).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    await expect(l.retry('r2')).rejects.toMatchObject({ status: 409, message: 'Message r2 is PENDING, not DEAD' });
    await expect(l.retry('nope')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    await expect(l.retry('x'.repeat(37))).rejects.toMatchObject({ status: 404 });
    expect(kicks).toHaveLength(1);
    expect(store.rows.map((r) => [r.id, r.state])).toEqual([
      ['r1', 'PENDING'],
      ['r2', 'PENDING'],
    ]);
  });
});
