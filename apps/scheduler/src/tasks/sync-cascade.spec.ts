import { describe, expect, it } from '@jest/globals';
import { syncCascade } from './sync-cascade.js';
import { TaskStatus } from './task-status.js';

const STATUSES = Object.values(TaskStatus);

// What a SYNC task's move (row: from, column: to) does to its siblings: r = ready the next one,
// s = skip all later ones, u = un-skip all later ones, c = continue (un-skip all later ones, then ready the
// next one: a failed task marked succeeded), . = nothing. Impossible moves included.
const GRID = `
              PEN DIS ACC RUN RWT SUC FAI CAN SKI
  PENDING      .   .   .   .   .   r   s   s   .
  DISPATCHED   .   .   .   .   .   r   s   s   .
  ACCEPTED     .   .   .   .   .   r   s   s   .
  RUNNING      .   .   .   .   .   r   s   s   .
  RETRY_WAIT   .   .   .   .   .   r   s   s   .
  SUCCEEDED    .   .   .   .   .   .   s   s   .
  FAILED       u   .   .   .   .   c   .   s   .
  CANCELLED    u   .   .   .   .   c   s   .   .
  SKIPPED      .   .   .   .   .   r   s   s   .
`;
const MEANS = {
  r: { scope: 'next', command: { kind: 'ready' } },
  s: { scope: 'later', command: { kind: 'skip' } },
  u: { scope: 'later', command: { kind: 'unskip' } },
  c: { scope: 'later', command: { kind: 'unskip' }, then: { scope: 'next', command: { kind: 'ready' } } },
  '.': undefined,
} as const;

describe('syncCascade', () => {
  it('readies only the next task when a task succeeds', () => {
    expect(syncCascade('SYNC', 'RUNNING', 'SUCCEEDED')).toEqual({ scope: 'next', command: { kind: 'ready' } });
  });

  it('skips every later task when a task fails for good or is cancelled', () => {
    expect(syncCascade('SYNC', 'RUNNING', 'FAILED')).toEqual({ scope: 'later', command: { kind: 'skip' } });
    expect(syncCascade('SYNC', 'RETRY_WAIT', 'CANCELLED')).toEqual({ scope: 'later', command: { kind: 'skip' } });
  });

  it('un-skips every later task when a failed or cancelled task is retried', () => {
    expect(syncCascade('SYNC', 'FAILED', 'PENDING')).toEqual({ scope: 'later', command: { kind: 'unskip' } });
    expect(syncCascade('SYNC', 'CANCELLED', 'PENDING')).toEqual({ scope: 'later', command: { kind: 'unskip' } });
  });

  it('reaches no sibling for a write without a move (progress, overdue flag, job id)', () => {
    for (const s of STATUSES) expect(syncCascade('SYNC', s, s)).toBeUndefined();
  });

  it('reaches no sibling for a move along the way (dispatch, accept, retry wait, skip)', () => {
    expect(syncCascade('SYNC', 'PENDING', 'DISPATCHED')).toBeUndefined();
    expect(syncCascade('SYNC', 'DISPATCHED', 'RETRY_WAIT')).toBeUndefined();
    expect(syncCascade('SYNC', 'SKIPPED', 'PENDING')).toBeUndefined();
    expect(syncCascade('SYNC', 'PENDING', 'SKIPPED')).toBeUndefined();
  });

  it('answers every (from, to) pair of a SYNC group as the grid says', () => {
    const [, ...rows] = GRID.trim().split('\n');
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(STATUSES);
    rows.forEach((r) => {
      const [from, ...cells] = r.trim().split(/\s+/) as [TaskStatus, ...Array<keyof typeof MEANS>];
      STATUSES.forEach((to, i) =>
        expect([from, to, syncCascade('SYNC', from, to)]).toEqual([from, to, MEANS[cells[i]]]),
      );
    });
  });

  it('never cascades in an ASYNC group', () => {
    for (const from of STATUSES) for (const to of STATUSES) expect(syncCascade('ASYNC', from, to)).toBeUndefined();
  });
});
