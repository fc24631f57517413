import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { type CallbackAnswer, Scope, taskCallbackSchema } from '#ferry/contracts';
import { CallbacksService } from './callbacks.service.js';

@ApiTags('callbacks')
@ApiBearerAuth()
@Controller('callbacks')
export class CallbacksController {
  constructor(@Inject(CallbacksService) private readonly callbacks: CallbacksService) {}

  @Post('tasks/:taskRunId')
  @HttpCode(200)
  @Scopes(Scope.callbacksWrite)
  @ApiOperation({ summary: 'A downstream reports the status of a task run (ACCEPTED, RUNNING, SUCCEEDED, FAILED)' })
  @ApiBody({ schema: taskCallbackSchema as object })
  report(@Param('taskRunId') taskRunId: string, @Body() body: unknown): Promise<CallbackAnswer> {
    return this.callbacks.report(taskRunId, body);
  }
}
