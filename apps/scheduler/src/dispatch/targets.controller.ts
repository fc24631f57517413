import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { Scope, targetPageSchema } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { TargetGuard } from './target-guard.js';

@ApiTags('admin: targets')
@ApiBearerAuth()
@Controller('targets')
export class TargetsController {
  constructor(@Inject(TargetGuard) private readonly guard: TargetGuard) {}

  /** Every downstream target this scheduler cluster has dispatched to: breaker state and dispatches in flight. */
  @Get()
  @ApiDoc({
    summary: 'Downstream targets: circuit breaker and dispatches in flight, as every instance sees them',
    answers: { 200: { schema: targetPageSchema, description: 'All of them (nextCursor is null)' } },
  })
  @Scopes(Scope.adminRead)
  async list() {
    return { items: await this.guard.list(), nextCursor: null };
  }
}
