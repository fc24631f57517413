import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { callbackDeliveryPageSchema, callbackDeliveryViewSchema, Scope } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { undeliveredDocs, type UndeliveredQuery } from '#ferry/outbox';
import { Callbacks } from './callbacks.js';

const docs = undeliveredDocs(
  { plural: 'Reports to the scheduler', one: 'report' },
  { page: callbackDeliveryPageSchema, view: callbackDeliveryViewSchema },
);

/** An operator's routes (admin scopes, which the scheduler's client does not hold). */
@ApiTags('admin: callbacks')
@ApiBearerAuth()
@Controller('callback-deliveries')
export class CallbackDeliveriesController {
  constructor(@Inject(Callbacks) private readonly callbacks: Callbacks) {}

  @Get()
  @ApiDoc(docs.list)
  @Scopes(Scope.adminRead)
  list(@Query() q: UndeliveredQuery) {
    return this.callbacks.undelivered.list(q);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiDoc(docs.retry)
  @Scopes(Scope.adminWrite)
  retry(@Param('id') id: string) {
    return this.callbacks.undelivered.retry(id);
  }
}
