import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AnyScope, type AuthenticatedRequest, Scopes } from '#ferry/auth';
import {
  Scope,
  type TriggerAnswer,
  triggerAnswerSchema,
  triggerMessageSchema,
  triggerRecordSchema,
} from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { annotateResponse } from '#ferry/observability';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { TriggerIntake } from './trigger-intake.service.js';
import { TriggerReplay } from './trigger-replay.service.js';

@ApiTags('triggers')
@ApiBearerAuth()
@Controller('triggers')
export class TriggersController {
  constructor(
    @Inject(TriggerIntake) private readonly intake: TriggerIntake,
    @Inject(TriggerReplay) private readonly replays: TriggerReplay,
  ) {}

  @Post()
  @ApiDoc({
    summary: 'An upstream system announces files ready',
    body: triggerMessageSchema,
    answers: {
      202: {
        schema: triggerAnswerSchema,
        description: 'New: one group run per bound definition (none if unmatched: kept as UNMATCHED)',
      },
      200: {
        schema: triggerAnswerSchema,
        description: 'The same messageId from the same source again: the first answer, `duplicate: true`',
      },
    },
    errors: { 403: "The caller's client is not configured for this `source` (or lacks the scope); nothing is written" },
  })
  @Scopes(Scope.triggersWrite)
  async post(
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TriggerAnswer> {
    // The guard has set the principal; without one no source is allowed.
    const result = await this.intake.accept(body, { sources: req.principal?.sources ?? [] });
    res.status(result.duplicate ? 200 : 202);
    // The request's log line names what it created.
    const groups = result.answer.groupRuns;
    annotateResponse(res, {
      triggerId: result.answer.triggerId,
      groupRunId: groups.length === 1 ? groups[0].id : undefined,
    });
    return result.answer;
  }

  // An operator move (issue 13): an operator's admin:operate, or a service client's admin:write.
  @Post(':id/replay')
  @HttpCode(200)
  @ApiDoc({
    summary: "Matches an UNMATCHED or REJECTED trigger again against today's bindings, once",
    answers: {
      200: {
        schema: triggerRecordSchema,
        description: 'The trigger, its `replay` naming the group runs created (a second replay creates none)',
      },
    },
    errors: {
      404: 'no such trigger',
      409: 'the trigger was ACCEPTED, still matches no definition, is still not a valid message, or is a copy',
    },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  replay(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.replays.replay(id, actor);
  }
}
