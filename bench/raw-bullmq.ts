import { Queue, Worker } from 'bullmq';
import { createRedis, type RedisConnectionConfig } from '#ferry/queue';

/** The ceiling: N no-op jobs through BullMQ (add → process → complete) on the same Redis (or cluster). */
export async function rawBullmqRate(redis: RedisConnectionConfig, n: number, concurrency = 32): Promise<number> {
  const prefix = `{bench-raw-${Date.now().toString(36)}}`;
  const connection = createRedis(redis, 'worker');
  const queue = new Queue('raw', { connection, prefix });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const workerConnection = createRedis(redis, 'worker');
  const worker = new Worker('raw', async () => undefined, {
    connection: workerConnection,
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
  workerConnection.disconnect();
  return n / seconds;
}
