import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import {
  type Page,
  rejectedRecordPageSchema,
  Scope,
  type SyncJobAccepted,
  syncJobAcceptedSchema,
  syncJobRequestSchema,
  type SyncJobView,
  syncJobViewSchema,
} from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
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
  @ApiDoc({
    summary: 'Starts a sync job; it runs in the background and reports to `callbackUrl` as it goes',
    body: syncJobRequestSchema,
    answers: {
      202: {
        schema: syncJobAcceptedSchema,
        description: 'A new job, or the job this Idempotency-Key started before with its current status',
      },
    },
    headers: {
      'Idempotency-Key': {
        schema: { type: 'string', minLength: 1, maxLength: 200 },
        description: 'The same key again answers the same job; never a second run',
        required: true,
      },
    },
    errors: {
      409: 'this Idempotency-Key was used with a different request',
      422:
        'no Idempotency-Key, not of the schema, files this consumer cannot take, or a callbackUrl outside the ' +
        'scheduler origins it reports to; `details` says where',
      429:
        'too many requests from this client, or this consumer holds as many jobs or files as it takes at once ' +
        '(nothing was stored); retry after `Retry-After` seconds',
    },
  })
  @Scopes(Scope.syncWrite)
  accept(@Headers('idempotency-key') key: string | undefined, @Body() body: unknown): Promise<SyncJobAccepted> {
    return this.jobs.accept(key, body);
  }

  @Get(':jobId')
  @ApiDoc({
    summary: "A job's status, progress and reconciliation (the scheduler's fallback when a callback is lost)",
    answers: { 200: { schema: syncJobViewSchema, description: 'The job now' } },
    errors: { 404: 'no such job' },
  })
  @Scopes(Scope.syncRead)
  view(@Param('jobId') jobId: string): Promise<SyncJobView> {
    return this.jobs.view(jobId);
  }

  @Post(':jobId/cancel')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Cancels a job that is still ACCEPTED or RUNNING (reported to the scheduler as FAILED)',
    answers: { 200: { schema: syncJobViewSchema, description: 'The job now, CANCELLED' } },
    errors: { 404: 'no such job', 409: 'the job is finished already' },
  })
  @Scopes(Scope.syncWrite)
  cancel(@Param('jobId') jobId: string): Promise<SyncJobView> {
    return this.jobs.cancel(jobId);
  }

  @Get(':jobId/rejected')
  @ApiDoc({
    summary: 'The records a job refused, with the reasons, in file order',
    answers: { 200: { schema: rejectedRecordPageSchema, description: 'One page' } },
    query: pageQuery(1000, 100),
    errors: { 404: 'no such job', 422: 'a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.syncRead)
  rejected(
    @Param('jobId') jobId: string,
    @Query('cursor') cursor?: string,
    @Query('limit') limit?: string,
  ): Promise<Page<RejectedRecord>> {
    return this.deadLetters.list(jobId, cursor, limit);
  }
}
