import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope, Scopes } from '#ferry/auth';
import {
  ackAlertSchema,
  alertPageSchema,
  alertViewSchema,
  Scope,
  silenceAlertSchema,
  unackAlertSchema,
} from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { AlertMoves } from './alert-moves.js';
import { AlertsService } from './alerts.service.js';

@ApiTags('admin: alerts')
@ApiBearerAuth()
@Controller('alerts')
export class AlertsController {
  constructor(
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(AlertMoves) private readonly moves: AlertMoves,
  ) {}

  @Get()
  @ApiDoc({
    summary: 'Alerts, newest first',
    answers: { 200: { schema: alertPageSchema, description: 'One page' } },
    query: {
      status: { schema: { enum: ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] }, description: 'Only alerts in this status' },
      ...pageQuery(500, 50),
    },
    errors: { 422: 'an unknown status, a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: { status?: string; cursor?: string; limit?: string }) {
    return this.alerts.list(q);
  }

  @Post(':id/ack')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Acknowledges an alert: no more notifications for it (a second acknowledgement changes nothing)',
    body: ackAlertSchema,
    bodyOptional: true,
    answers: { 200: { schema: alertViewSchema, description: 'The alert now (with the comment, if one was given)' } },
    errors: {
      404: 'no such alert',
      409: 'the alert is RESOLVED already, or changed meanwhile',
      422: 'the body is not `{"comment"}` with a comment of at most 1000 characters',
    },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  ack(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.alerts.acknowledge(id, actor, body);
  }

  // Operator moves (issue 13): an operator's admin:operate, or a service client's admin:write.
  @Post(':id/silence')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Silences an alert for a while: raised again meanwhile, it notifies no one; the comment is kept',
    body: silenceAlertSchema,
    answers: { 200: { schema: alertViewSchema, description: 'The alert now, with `silencedUntil` and the comment' } },
    errors: { 404: 'no such alert', 409: 'the alert is RESOLVED, or changed meanwhile' },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  silence(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.moves.silence(id, body, actor);
  }

  @Post(':id/unack')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Un-acknowledges an alert: OPEN again, it notifies when raised again; the comment is kept',
    body: unackAlertSchema,
    answers: { 200: { schema: alertViewSchema, description: 'The alert now, with the comment' } },
    errors: { 404: 'no such alert', 409: 'the alert is not ACKNOWLEDGED, or changed meanwhile' },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  unack(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.moves.unacknowledge(id, body, actor);
  }
}
