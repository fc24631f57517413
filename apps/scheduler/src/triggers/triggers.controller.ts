import { Body, Controller, Inject, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '#ferry/auth';
import { annotateResponse } from '#ferry/observability';
import { Scope, type TriggerAnswer, triggerMessageSchema } from '#ferry/contracts';
import { TriggerIntake } from './trigger-intake.service.js';

@ApiTags('triggers')
@ApiBearerAuth()
@Controller('triggers')
export class TriggersController {
  constructor(@Inject(TriggerIntake) private readonly intake: TriggerIntake) {}

  @Post()
  @Scopes(Scope.triggersWrite)
  @ApiOperation({ summary: 'An upstream system announces files ready; 202 new, 200 duplicate (same answer)' })
  @ApiBody({ schema: triggerMessageSchema as object })
  async post(@Body() body: unknown, @Res({ passthrough: true }) res: FastifyReply): Promise<TriggerAnswer> {
    const result = await this.intake.accept(body, 'http');
    res.status(result.duplicate ? 200 : 202);
    // The request's log line names what it created.
    const groups = result.answer.groupRuns;
    annotateResponse(res, {
      triggerId: result.answer.triggerId,
      groupRunId: groups.length === 1 ? groups[0].id : undefined,
    });
    return result.answer;
  }
}
