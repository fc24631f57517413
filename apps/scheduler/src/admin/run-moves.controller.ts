import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope } from '#ferry/auth';
import { groupRunDetailSchema, markSucceededSchema, rerunSchema, Scope, taskRunDetailSchema } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { RunMovesService } from './run-moves.service.js';

const groupRun = { schema: groupRunDetailSchema, description: 'The group run with its tasks (the first 1000, by seq)' };
const taskRun = { schema: taskRunDetailSchema, description: 'The task run with its event history' };

/** Issue 13's operator moves (docs/contract-additions.md): an operator's admin:operate, or a service client's admin:write. */
@ApiTags('admin: runs')
@ApiBearerAuth()
@Controller()
export class RunMovesController {
  constructor(@Inject(RunMovesService) private readonly moves: RunMovesService) {}

  @Post('task-runs/:id/mark-succeeded')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Marks a FAILED task (or a reconciliation MISMATCH) succeeded, after an operator fixed it by hand',
    body: markSucceededSchema,
    answers: { 200: taskRun },
    errors: { 404: 'no such task run', 409: 'the task is neither FAILED nor a reconciliation MISMATCH' },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  markSucceeded(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.moves.markSucceeded(id, body, actor);
  }

  @Post('group-runs/:id/rerun')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Runs a finished group run again, whole or from its first FAILED task, with new dispatch ids',
    body: rerunSchema,
    answers: { 200: groupRun },
    errors: {
      404: 'no such group run',
      409: 'the group run is RUNNING, has no FAILED task (`firstFailed`), or changed meanwhile',
    },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  rerun(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.moves.rerun(id, body, actor);
  }
}
