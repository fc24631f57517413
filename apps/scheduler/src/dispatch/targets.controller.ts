import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { Scope } from '#ferry/contracts';
import { TargetGuard } from './target-guard.js';

@ApiTags('admin: targets')
@ApiBearerAuth()
@Controller('targets')
export class TargetsController {
  constructor(@Inject(TargetGuard) private readonly guard: TargetGuard) {}

  /** Every downstream target this scheduler cluster has dispatched to: breaker state and dispatches in flight. */
  @Get()
  @Scopes(Scope.adminRead)
  async list() {
    return { items: await this.guard.list(), nextCursor: null };
  }
}
