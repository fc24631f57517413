import { Inject, Injectable } from '@nestjs/common';
import { type CallbackAnswer, type TaskCallback, taskCallbackSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { CALLBACK_OBSERVER, type CallbackObserver } from '../observability/observers.js';
import { TaskEngine } from '../tasks/task-engine.js';

const validate = compileSchema<TaskCallback>(taskCallbackSchema);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A downstream's report on a task: one state-machine command, coalesced with its neighbours in time. */
@Injectable()
export class CallbacksService {
  constructor(
    @Inject(TaskEngine) private readonly engine: Pick<TaskEngine, 'submit'>,
    @Inject(CALLBACK_OBSERVER) private readonly observer: CallbackObserver | null,
  ) {}

  async report(taskRunId: string, body: unknown): Promise<CallbackAnswer> {
    const observer = this.observer;
    if (!observer) return this.apply(taskRunId, body);
    const started = process.hrtime.bigint();
    try {
      const answer = await this.apply(taskRunId, body);
      observer.callbackHandled(taskRunId, answer, started);
      return answer;
    } catch (err) {
      observer.callbackHandled(taskRunId, err as Error, started);
      throw err;
    }
  }

  private async apply(taskRunId: string, body: unknown): Promise<CallbackAnswer> {
    const report = validate(body);
    if (!UUID.test(taskRunId)) throw ApiError.notFound('Task run', taskRunId.slice(0, 64));
    const out = await this.engine.submit(taskRunId, { kind: 'report', actor: 'callback', body: report });
    const status = out.task?.status ?? 'UNKNOWN';
    switch (out.answer.type) {
      case 'notFound':
        throw ApiError.notFound('Task run', taskRunId);
      case 'conflict':
        throw ApiError.conflict(out.answer.message);
      case 'ignored':
        return { applied: false, reason: out.answer.reason, status };
      default:
        return { applied: true, status };
    }
  }
}
