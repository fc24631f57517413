import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope, Scopes } from '#ferry/auth';
import { alertPageSchema, alertViewSchema, Scope } from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { AlertsService } from './alerts.service.js';

@ApiTags('admin: alerts')
@ApiBearerAuth()
@Controller('alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

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
    answers: { 200: { schema: alertViewSchema, description: 'The alert now' } },
    errors: { 404: 'no such alert', 409: 'the alert is RESOLVED already' },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  ack(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.alerts.acknowledge(id, actor);
  }
}
