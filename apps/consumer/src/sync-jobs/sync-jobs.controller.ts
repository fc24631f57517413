import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { type Page, Scope, type SyncJobAccepted, type SyncJobView } from '#ferry/contracts';
import { DeadLettersService, type RejectedRecord } from './dead-letters.service.js';
import { SyncJobsService } from './sync-jobs.service.js';

@ApiTags('sync-jobs')
@ApiBearerAuth()
@Controller('sync-jobs')
export class SyncJobsController {
  constructor(
    private readonly jobs: SyncJobsService,
    private readonly deadLetters: DeadLettersService,
  ) {}

  /** 202 for a new job and for a repeat of the same request (the same job, its current status). */
  @Post()
  @HttpCode(202)
  @Scopes(Scope.syncWrite)
  accept(@Headers('idempotency-key') key: string | undefined, @Body() body: unknown): Promise<SyncJobAccepted> {
    return this.jobs.accept(key, body);
  }

  @Get(':jobId')
  @Scopes(Scope.syncRead)
  view(@Param('jobId') jobId: string): Promise<SyncJobView> {
    return this.jobs.view(jobId);
  }

  @Post(':jobId/cancel')
  @HttpCode(200)
  @Scopes(Scope.syncWrite)
  cancel(@Param('jobId') jobId: string): Promise<SyncJobView> {
    return this.jobs.cancel(jobId);
  }

  @Get(':jobId/rejected')
  @Scopes(Scope.syncRead)
  rejected(
    @Param('jobId') jobId: string,
    @Query('cursor') cursor?: string,
    @Query('limit') limit?: string,
  ): Promise<Page<RejectedRecord>> {
    return this.deadLetters.list(jobId, cursor, limit);
  }
}
