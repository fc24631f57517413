import { Inject, Injectable } from '@nestjs/common';
import { type MarkSucceeded, markSucceededSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { GroupRecounter } from '../groups/group-recounter.js';
import { TaskEngine } from '../tasks/task-engine.js';
import { RunsService } from './runs.service.js';

const validateMark = compileSchema<MarkSucceeded>(markSucceededSchema);

/**
 * Issue 13's operator moves on finished runs. Each is one command through the task engine (its own
 * transaction: the rows, their events and the SYNC cascade commit together), then a recount of the group.
 */
@Injectable()
export class RunMovesService {
  constructor(
    @Inject(TaskEngine) private readonly engine: TaskEngine,
    @Inject(GroupRecounter) private readonly recounter: GroupRecounter,
    @Inject(RunsService) private readonly runs: RunsService,
  ) {}

  /** A FAILED task (or a reconciliation MISMATCH) an operator fixed by hand; SYNC successors continue. */
  async markSucceeded(id: string, body: unknown) {
    const { reason } = validateMark(body ?? {});
    const out = await this.engine.submit(id, { kind: 'markSucceeded', actor: 'operator', reason });
    if (out.answer.type === 'notFound') throw ApiError.notFound('Task run', id);
    if (out.answer.type === 'conflict') throw ApiError.conflict(out.answer.message);
    if (out.task) await this.recount(out.task.groupRunId);
    return this.runs.getTask(id);
  }

  /** As RunsService's: the move stands if the recount fails, which is then done later. */
  private async recount(groupRunId: string): Promise<void> {
    await this.recounter.refresh(groupRunId).catch(() => this.recounter.refreshLater([groupRunId]));
  }
}
