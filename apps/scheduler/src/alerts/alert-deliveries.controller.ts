import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope, Scopes } from '#ferry/auth';
import { alertDeliveryPageSchema, alertDeliveryViewSchema, Scope } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { undeliveredDocs, type UndeliveredQuery } from '#ferry/outbox';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { AlertDeliveriesService } from './alert-deliveries.service.js';

const docs = undeliveredDocs(
  { plural: 'Alert notifications', one: 'notification' },
  { page: alertDeliveryPageSchema, view: alertDeliveryViewSchema },
);

@ApiTags('admin: alerts')
@ApiBearerAuth()
@Controller('alert-deliveries')
export class AlertDeliveriesController {
  constructor(@Inject(AlertDeliveriesService) private readonly deliveries: AlertDeliveriesService) {}

  @Get()
  @ApiDoc(docs.list)
  @Scopes(Scope.adminRead)
  list(@Query() q: UndeliveredQuery) {
    return this.deliveries.list(q);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiDoc(docs.retry)
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  retry(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.deliveries.retry(id, actor);
  }
}
