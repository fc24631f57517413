import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { alertDeliveryPageSchema, alertDeliveryViewSchema, Scope } from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { AlertDeliveriesService } from './alert-deliveries.service.js';

@ApiTags('admin: alerts')
@ApiBearerAuth()
@Controller('alert-deliveries')
export class AlertDeliveriesController {
  constructor(@Inject(AlertDeliveriesService) private readonly deliveries: AlertDeliveriesService) {}

  @Get()
  @ApiDoc({
    summary: 'Alert notifications not delivered (DEAD by default), newest first',
    answers: { 200: { schema: alertDeliveryPageSchema, description: 'One page' } },
    query: {
      status: {
        schema: { enum: ['DEAD', 'PENDING'] },
        description: 'DEAD (default): given up, waiting for an operator; PENDING: being retried',
      },
      ...pageQuery(500, 50),
    },
    errors: { 422: 'an unknown status, a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: { status?: string; cursor?: string; limit?: string }) {
    return this.deliveries.list(q);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Delivers a DEAD notification again, with a fresh attempt budget',
    answers: { 200: { schema: alertDeliveryViewSchema, description: 'The delivery now (PENDING, due now)' } },
    errors: { 404: 'no such delivery', 409: 'the delivery is not DEAD' },
  })
  @Scopes(Scope.adminWrite)
  retry(@Param('id') id: string) {
    return this.deliveries.retry(id);
  }
}
