import { Inject, Injectable } from '@nestjs/common';
import { type CallbackAnswer, type TaskCallback, taskCallbackSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { GroupInfo } from '../groups/group-store.js';
import { CALLBACK_OBSERVER, type CallbackObserver } from '../observability/observers.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TaskEngine } from '../tasks/task-engine.js';
import { mayCallBack } from './callback-binding.js';

const validate = compileSchema<TaskCallback>(taskCallbackSchema);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A downstream's report on a task: one state-machine command, coalesced with its neighbours in time,
 * taken only from a client bound to the task's target (callback-binding.ts).
 */
@Injectable()
export class CallbacksService {
  private readonly defaultClients: readonly string[];

  constructor(
    @Inject(TaskEngine) private readonly engine: Pick<TaskEngine, 'submit'>,
    @Inject(CALLBACK_OBSERVER) private readonly observer: CallbackObserver | null,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'callbackClients'>,
  ) {
    this.defaultClients = config.callbackClients;
  }

  /** `clientId`: the verified caller's client. */
  async report(taskRunId: string, body: unknown, clientId: string | undefined): Promise<CallbackAnswer> {
    const observer = this.observer;
    if (!observer) return this.apply(taskRunId, body, clientId);
    const started = process.hrtime.bigint();
    try {
      const answer = await this.apply(taskRunId, body, clientId);
      observer.callbackHandled(taskRunId, answer, started);
      return answer;
    } catch (err) {
      observer.callbackHandled(taskRunId, err as Error, started);
      throw err;
    }
  }

  private async apply(taskRunId: string, body: unknown, clientId: string | undefined): Promise<CallbackAnswer> {
    const report = validate(body);
    if (!UUID.test(taskRunId)) throw ApiError.notFound('Task run', taskRunId.slice(0, 64));
    // Checked on the group's spec the batch loads anyway: no read of its own.
    const bound = (group: GroupInfo) => mayCallBack(group.spec.target, clientId, this.defaultClients);
    const out = await this.engine.submit(taskRunId, { kind: 'report', actor: 'callback', body: report }, bound);
    const status = out.task?.status ?? 'UNKNOWN';
    switch (out.answer.type) {
      case 'notFound':
        throw ApiError.notFound('Task run', taskRunId);
      case 'forbidden':
        // Nothing about the task: not its status, its target, nor which clients it takes.
        throw ApiError.forbidden(`This client may not report on task run ${taskRunId}`);
      case 'conflict':
        throw ApiError.conflict(out.answer.message);
      case 'ignored':
        return { applied: false, reason: out.answer.reason, status };
      default:
        return { applied: true, status };
    }
  }
}
