import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { providerConfigFromEnv } from '../config.js';
import { openProviderDb } from '../database.js';
import { generateFile } from '../files/generator.js';
import { Announcer } from '../outbox/announcer.js';

const USAGE = `Usage: node dist/apps/provider/src/cli/generate.js --records N [options]

Creates the demo dataset (if missing) and a file of N generated records in the provider's database
(FERRY_PROVIDER_DB_TYPE / FERRY_PROVIDER_DB_URL, as the provider itself reads them).

  --records N          how many records (up to 10,000,000)            required
  --dataset NAME       dataset name                                    default customers
  --file-id ID         the file's id                                   default gen-<time>
  --mode MODE          snapshot | changes                              default snapshot
  --start I            first record id (c-I)                           default 1
  --version V          changes the mutable fields (a later file updates an earlier one)
  --delete-every K     changes mode: every K-th id is an op:delete     default 0 (none)
  --batch B            records held in memory at once
  --business-date D    YYYY-MM-DD, carried in the trigger
  --publish            announce the file to the scheduler (FERRY_PROVIDER_SCHEDULER_URL)
  --help`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

const { values: a } = (() => {
  try {
    return parseArgs({
      options: {
        records: { type: 'string' },
        dataset: { type: 'string', default: 'customers' },
        'file-id': { type: 'string' },
        mode: { type: 'string', default: 'snapshot' },
        start: { type: 'string' },
        version: { type: 'string' },
        'delete-every': { type: 'string' },
        batch: { type: 'string' },
        'business-date': { type: 'string' },
        publish: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
})();
if (a.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (a.records === undefined) fail('--records is required');
if (a.mode !== 'snapshot' && a.mode !== 'changes') fail(`--mode must be snapshot or changes, got "${a.mode}"`);
if (a['business-date'] !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(a['business-date']))
  fail('--business-date must be YYYY-MM-DD');
const records = int('records', a.records, 0, 1, 10_000_000);

Logger.overrideLogger(['error', 'warn']);
const config = providerConfigFromEnv({ ...process.env, FERRY_PROVIDER_ANNOUNCE: a.publish ? 'true' : 'false' });
const db = await openProviderDb(config.db);
const announcer = a.publish && config.schedulerUrl ? new Announcer(db, config) : undefined;
const started = performance.now();
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));
const file = await generateFile(db, announcer, {
  dataset: a.dataset!,
  fileId: a['file-id'] ?? `gen-${Date.now().toString(36)}`,
  records,
  mode: a.mode,
  start: int('start', a.start, 1, 0, 1e12),
  version: int('version', a.version, 0, 0, 1e9),
  deleteEvery: int('delete-every', a['delete-every'], 0, 0, 1e9),
  batch: a.batch === undefined ? undefined : int('batch', a.batch, 0, 1, 100_000),
  businessDate: a['business-date'],
  onProgress: sample,
});
const seconds = (performance.now() - started) / 1000;
let delivered = !announcer;
if (announcer) {
  // The trigger is already safe in the outbox; try briefly to deliver it ourselves, else the provider's pump will.
  announcer.pump.start();
  for (let i = 0; i < 100 && !delivered; i++) {
    await new Promise((r) => setTimeout(r, 100));
    delivered = ((await announcer.store.counts()).PENDING ?? 0) === 0;
  }
  await announcer.onApplicationShutdown();
}
await db.close();
sample();
const peakMiB = Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20;
process.stdout.write(
  JSON.stringify({
    fileId: file.fileId,
    dataset: file.dataset,
    mode: file.mode,
    recordCount: file.recordCount,
    checksum: file.checksum,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(records / seconds),
    peakRssMiB: Math.round(peakMiB),
    published: a.publish ? (delivered ? 'delivered' : 'queued in the outbox') : 'no',
  }) + '\n',
);
