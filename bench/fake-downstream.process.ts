// The bench's downstream in a process of its own, so its work doesn't count against the scheduler's.
// Argument `hold`: it keeps every job running until the bench releases the oldest ones (live tasks on demand).
import { FakeDownstream } from '#ferry/testing';
import type { DownstreamCommand, DownstreamCounts } from './scheduler-fixture.js';

const hold = process.argv[2] === 'hold';
const fake = await new FakeDownstream({ behaviour: hold ? 'manual' : 'succeed' }).start();
let released = 0;
process.on('message', (m: DownstreamCommand) => {
  for (const end = Math.min(fake.starts.length, released + (m.release ?? 0)); released < end; released++)
    void fake.complete(fake.starts[released].jobId).catch(() => undefined);
  const received = new Map<string, number>();
  if (m.received)
    for (const s of fake.starts) if (!received.has(s.body.taskRunId)) received.set(s.body.taskRunId, s.at);
  process.send?.({
    starts: fake.starts.length,
    released,
    ...(m.received ? { received: [...received] } : {}),
  } satisfies DownstreamCounts);
});
process.send?.({ url: fake.url });
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
