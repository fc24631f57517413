import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type AuthenticatedRequest, Scopes } from '#ferry/auth';
import { type CallbackAnswer, callbackAnswerSchema, Scope, taskCallbackSchema } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { CallbacksService } from './callbacks.service.js';

@ApiTags('callbacks')
@ApiBearerAuth()
@Controller('callbacks')
export class CallbacksController {
  constructor(@Inject(CallbacksService) private readonly callbacks: CallbacksService) {}

  @Post('tasks/:taskRunId')
  @HttpCode(200)
  @ApiDoc({
    summary: 'A downstream reports the status of a task run (ACCEPTED, RUNNING, SUCCEEDED, FAILED)',
    body: taskCallbackSchema,
    answers: {
      200: {
        schema: callbackAnswerSchema,
        description: 'Applied, or not (`reason`): a repeat, an out-of-order report, an older dispatch',
      },
    },
    errors: {
      403:
        "The caller's client is not bound to the task's target (`target.callbackClients`, or the default); " +
        'nothing changes and the answer says nothing about the task',
      404: 'no such task run',
      409: 'the report contradicts a terminal state (e.g. FAILED after SUCCEEDED)',
    },
  })
  @Scopes(Scope.callbacksWrite)
  report(
    @Param('taskRunId') taskRunId: string,
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
  ): Promise<CallbackAnswer> {
    return this.callbacks.report(taskRunId, body, req.principal?.clientId);
  }
}
