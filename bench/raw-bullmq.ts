import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** The ceiling: N no-op jobs through BullMQ (add → process → complete) on the same Redis. */
export async function rawBullmqRate(redisUrl: string, n: number, concurrency = 32): Promise<number> {
  const prefix = `{bench-raw-${Date.now().toString(36)}}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection, prefix });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker('raw', async () => undefined, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix,
    concurrency,
    autorun: false,
  });
  worker.on('completed', () => {
    if (++done === n) finish();
  });
  const started = performance.now();
  for (let i = 0; i < n; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        name: 'job',
        data: { i: i + j },
        opts: { removeOnComplete: true },
      })),
    );
  }
  void worker.run();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return n / seconds;
}
