import { describe, expect, it } from '@jest/globals';
import { AcceptLinger } from './accept-linger.js';

type Cmd = { taskId: string; n: number };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function linger(ms: number) {
  const committed: Cmd[][] = [];
  const l = new AcceptLinger<Cmd>(ms, async (c) => {
    committed.push(c);
  });
  return { l, committed };
}

describe('AcceptLinger', () => {
  it('holds nothing when lingering is off (the caller commits at once)', () => {
    const { l } = linger(0);
    expect(l.hold({ taskId: 't', n: 1 })).toBe(false);
    expect(l.takeFor([{ taskId: 't', n: 2 }])).toEqual([]);
  });

  it("hands a held command to its task's next command, to be written with it", () => {
    const { l, committed } = linger(10_000);
    expect(l.hold({ taskId: 't1', n: 1 })).toBe(true);
    l.hold({ taskId: 't2', n: 1 });
    expect(
      l.takeFor([
        { taskId: 't1', n: 2 },
        { taskId: 'other', n: 2 },
      ]),
    ).toEqual([{ taskId: 't1', n: 1 }]);
    expect(l.takeFor([{ taskId: 't1', n: 3 }])).toEqual([]);
    expect(committed).toEqual([]);
    void l.flush();
  });

  it('commits what no next command took once the linger ends', async () => {
    const { l, committed } = linger(20);
    l.hold({ taskId: 't1', n: 1 });
    l.hold({ taskId: 't2', n: 1 });
    l.takeFor([{ taskId: 't2', n: 2 }]);
    await sleep(60);
    expect(committed).toEqual([[{ taskId: 't1', n: 1 }]]);
  });

  it('commits everything held at once on flush (a stopping scheduler), and nothing twice', async () => {
    const { l, committed } = linger(10_000);
    l.hold({ taskId: 't1', n: 1 });
    l.hold({ taskId: 't1', n: 2 }); // the later command of one task replaces the earlier
    await l.flush();
    await l.flush();
    expect(committed).toEqual([[{ taskId: 't1', n: 2 }]]);
  });
});
