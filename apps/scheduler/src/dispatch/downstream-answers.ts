import {
  progressSchema,
  reconciliationSchema,
  reportedErrorSchema,
  type ReportedError,
  syncJobIdSchema,
  syncJobStatusSchema,
} from '#ferry/contracts';
import { compileChecker } from '#ferry/http';

/**
 * What the scheduler reads of a downstream's answers, checked before anything of them is kept: the
 * job id goes into a column and into the URLs polled; a poll answer becomes a report on the task.
 * Other fields are the downstream's business (clients ignore fields they do not know).
 */
const orNull = (schema: object) => ({ oneOf: [schema, { type: 'null' }] });

const startAnswerSchema = {
  type: 'object',
  required: ['jobId'],
  properties: { jobId: syncJobIdSchema },
} as const;

const pollAnswerSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    jobId: syncJobIdSchema,
    status: syncJobStatusSchema,
    progress: orNull(progressSchema),
    reconciliation: orNull(reconciliationSchema),
    error: orNull(reportedErrorSchema),
  },
} as const;

const checkStart = compileChecker(startAnswerSchema);
const checkPoll = compileChecker(pollAnswerSchema);

/** Undefined for a usable answer to a sync request, else the error the failed attempt records. */
export function badStartAnswer(body: unknown): ReportedError | undefined {
  return badAnswer('sync request', checkStart(body));
}

/** Undefined for a usable poll answer (a sync job's view), else the error the failed attempt records. */
export function badPollAnswer(body: unknown): ReportedError | undefined {
  return badAnswer('job status', checkPoll(body));
}

function badAnswer(what: string, problems: Array<{ path: string; problem: string }>): ReportedError | undefined {
  if (!problems.length) return undefined;
  const list = problems
    .slice(0, 3)
    .map((p) => `${p.path} ${p.problem}`)
    .join('; ');
  return { code: 'DOWNSTREAM_BAD_ANSWER', message: `The downstream's answer to the ${what} is invalid: ${list}` };
}
