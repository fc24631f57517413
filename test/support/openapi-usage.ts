/**
 * A client's code against the types openapi-typescript generates from the three documents. Each
 * `@ts-expect-error` fails the compile if the type it guards is loose (`unknown`, `any`, a missing path).
 */
export const CLIENT_USAGE =
  `
import type { components as S, paths as Scheduler } from './scheduler';
import type { paths as Consumer } from './consumer';
import type { paths as Provider } from './provider';

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;

type TriggerPost = Scheduler['/api/v1/triggers']['post'];
type Accepted = TriggerPost['responses']['202']['content']['application/json'];
const accepted: Accepted = {
  triggerId: 't-1',
  duplicate: false,
  groupRuns: [{ id: 'g-1', definition: 'billing', status: 'RUNNING', tasks: 2 }],
};
// @ts-expect-error duplicate is a boolean
const wrong: Accepted = { ...accepted, duplicate: 'no' };
const again: Json<TriggerPost['responses']['200']> = { ...accepted, duplicate: true };

const message: Json<TriggerPost['requestBody']> = {
  messageId: 'm-1',
  source: 'billing',
  event: 'invoice-files.ready',
  files: [{ name: 'a.ndjson', recordCount: 3 }],
};
// @ts-expect-error a file needs its name
const nameless: Json<TriggerPost['requestBody']> = { ...message, files: [{ dataset: 'invoices' }] };

const invalid: TriggerPost['responses']['422']['content']['application/json'] = {
  error: { code: 'VALIDATION_FAILED', message: 'no', details: [{ path: 'files[0].name', problem: 'is required' }] },
};
// @ts-expect-error codes are the contract's
const unknownCode: Json<TriggerPost['responses']['422']> = { error: { ...invalid.error, code: 'OOPS' } };

type GroupRun = Json<Scheduler['/api/v1/group-runs/{id}']['get']['responses']['200']>;
function describeRun(run: GroupRun): string {
  const task: S['schemas']['TaskRun'] = run.tasks[0];
  const dispatched: string | null = task.dispatchedAt;
  const rejected: number | undefined = task.reconciliation?.rejected;
  return \`\${run.definition} \${run.status} \${run.counts.succeeded}/\${run.counts.total} ` +
  `\${dispatched} \${rejected}\`;
}
// @ts-expect-error a group run's status is one of four
const paused: GroupRun['status'] = 'PAUSED';

type RunsQuery = NonNullable<Scheduler['/api/v1/group-runs']['get']['parameters']['query']>;
const query: RunsQuery = { status: 'FAILED', definition: 'billing', limit: 100, cursor: 'abc' };
// @ts-expect-error limit is a number
const badQuery: RunsQuery = { limit: 'ten' };

type Stats = Json<Scheduler['/api/v1/stats']['get']['responses']['200']>;
const running: number | undefined = ({} as Stats).groupRuns['RUNNING'];
type Definition = Json<Scheduler['/api/v1/definitions/{id}']['put']['responses']['200']>;
const version: number = ({} as Definition).version;

type SyncJobPost = Consumer['/api/v1/sync-jobs']['post'];
const header: SyncJobPost['parameters']['header'] = { 'Idempotency-Key': 'k-1' };
const job: Json<SyncJobPost['responses']['202']> = { jobId: 'j-1', status: 'ACCEPTED' };
type SyncJob = Json<Consumer['/api/v1/sync-jobs/{jobId}']['get']['responses']['200']>;
const inserted: number | undefined = ({} as SyncJob).reconciliation?.inserted;

type Manifest = Json<Provider['/api/v1/datasets/{dataset}/files/{fileId}']['get']['responses']['200']>;
const mode: 'snapshot' | 'changes' = ({} as Manifest).mode;
type Records = Json<Provider['/api/v1/datasets/{dataset}/files/{fileId}/records']['get']['responses']['200']>;
const next: string | null = ({} as Records).nextCursor;

export const used = [wrong, again, nameless, unknownCode, describeRun, paused, query, badQuery, running, version];
export const alsoUsed = [header, job, inserted, mode, next];
`;
