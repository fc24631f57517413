import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type AuthenticatedRequest, Scopes } from '#ferry/auth';
import { Scope } from '#ferry/contracts';
import { AlertsService } from './alerts.service.js';

@ApiTags('admin: alerts')
@ApiBearerAuth()
@Controller('alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @Get()
  @Scopes(Scope.adminRead)
  list(@Query() q: { status?: string; cursor?: string; limit?: string }) {
    return this.alerts.list(q);
  }

  @Post(':id/ack')
  @HttpCode(200)
  @Scopes(Scope.adminWrite)
  ack(@Param('id') id: string, @Req() req: AuthenticatedRequest) {
    return this.alerts.acknowledge(id, req.principal?.clientId ?? 'unknown');
  }
}
