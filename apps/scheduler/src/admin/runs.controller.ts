import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope, Scopes } from '#ferry/auth';
import {
  authProfilePageSchema,
  authProfileSchema,
  authProfileViewSchema,
  groupRunDetailSchema,
  groupRunPageSchema,
  Scope,
  statsSchema,
  taskRunDetailSchema,
  triggerRecordPageSchema,
  triggerRecordSchema,
} from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { AuthProfilesService } from './auth-profiles.service.js';
import { type GroupRunQuery, RunsService } from './runs.service.js';

const paging = pageQuery(500, 50);
const badPage = { 422: 'a cursor this API did not issue, or a limit out of range' };
const groupRun = { schema: groupRunDetailSchema, description: 'The group run with its tasks (the first 1000, by seq)' };
const taskRun = { schema: taskRunDetailSchema, description: 'The task run with its event history' };
// Filters compare as given: a value no run has matches nothing, it is not refused.
const exactly = (what: string, values: string) => ({
  schema: { type: 'string' },
  description: `Only ${what} (${values}); other values match nothing`,
});
const instantQuery = (what: string) => ({
  schema: {
    anyOf: [
      { type: 'string', format: 'date' },
      { type: 'string', format: 'date-time' },
    ],
  },
  description: `Only runs created ${what} this instant (ISO-8601 date or date-time)`,
});

@ApiTags('admin: runs')
@ApiBearerAuth()
@Controller()
export class RunsController {
  constructor(@Inject(RunsService) private readonly runs: RunsService) {}

  @Get('group-runs')
  @ApiDoc({
    summary: 'Group runs, newest first',
    answers: { 200: { schema: groupRunPageSchema, description: 'One page' } },
    query: {
      status: exactly('group runs in this status', 'RUNNING, SUCCEEDED, FAILED, CANCELLED'),
      definition: { schema: { type: 'string' }, description: 'Only runs of this definition (its id or its name)' },
      businessDate: { schema: { type: 'string', format: 'date' }, description: 'Only runs for this business date' },
      from: instantQuery('at or after'),
      to: instantQuery('before'),
      ...paging,
    },
    errors: {
      422: 'businessDate is not YYYY-MM-DD, from or to is not a date, a cursor this API did not issue, or a limit out of range',
    },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: GroupRunQuery) {
    return this.runs.listGroups(q);
  }

  @Get('group-runs/:id')
  @ApiDoc({ summary: 'One group run', answers: { 200: groupRun }, errors: { 404: 'no such group run' } })
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string) {
    return this.runs.getGroup(id);
  }

  @Post('group-runs/:id/cancel')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Cancels the live tasks of a running group run',
    answers: { 200: groupRun },
    errors: { 404: 'no such group run', 409: 'the group run is not RUNNING' },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  cancel(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.runs.cancelGroup(id, actor);
  }

  @Get('task-runs/:id')
  @ApiDoc({ summary: 'One task run', answers: { 200: taskRun }, errors: { 404: 'no such task run' } })
  @Scopes(Scope.adminRead)
  task(@Param('id') id: string) {
    return this.runs.getTask(id);
  }

  @Post('task-runs/:id/retry')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Runs a finished task again',
    answers: { 200: taskRun },
    errors: { 404: 'no such task run', 409: 'the task is not in a state that can be retried (e.g. running)' },
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  retry(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.runs.retryTask(id, actor);
  }

  @Get('triggers')
  @ApiDoc({
    summary: 'Trigger messages received (matched, unmatched and rejected), newest first',
    answers: {
      200: {
        schema: triggerRecordPageSchema,
        description: 'One page; each payload bounded (`payloadTruncated`), whole at `GET /triggers/{id}`',
      },
    },
    query: {
      status: exactly('triggers in this status', 'ACCEPTED, UNMATCHED, REJECTED, SKIPPED, QUEUED, WAITING'),
      ...paging,
    },
    errors: badPage,
  })
  @Scopes(Scope.adminRead)
  triggers(@Query() q: { status?: string; cursor?: string; limit?: string }) {
    return this.runs.listTriggers(q);
  }

  @Get('triggers/:id')
  @ApiDoc({
    summary: 'One trigger message, with its whole payload',
    answers: { 200: { schema: triggerRecordSchema, description: 'The trigger as received' } },
    errors: { 404: 'no such trigger' },
  })
  @Scopes(Scope.adminRead)
  trigger(@Param('id') id: string) {
    return this.runs.getTrigger(id);
  }

  @Get('stats')
  @ApiDoc({
    summary: 'Counts of runs and triggers by status',
    answers: { 200: { schema: statsSchema, description: 'Now' } },
  })
  @Scopes(Scope.adminRead)
  stats() {
    return this.runs.stats();
  }
}

const profile = { schema: authProfileViewSchema, description: 'The profile as stored now, without its secret' };

@ApiTags('admin: auth profiles')
@ApiBearerAuth()
@Controller('auth-profiles')
export class AuthProfilesController {
  constructor(@Inject(AuthProfilesService) private readonly profiles: AuthProfilesService) {}

  @Get()
  @ApiDoc({
    summary: 'Every auth profile, by name',
    answers: { 200: { schema: authProfilePageSchema, description: 'All of them (nextCursor is null)' } },
  })
  @Scopes(Scope.adminRead)
  list() {
    return this.profiles.list();
  }

  @Post()
  @ApiDoc({
    summary: 'Stores a profile for signing the tokens sent to downstream targets',
    body: authProfileSchema,
    answers: { 201: profile },
    errors: { 409: 'a profile with this name exists' },
  })
  @Scopes(Scope.adminWrite)
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.profiles.upsert(body, actor);
  }

  @Get(':name')
  @ApiDoc({ summary: 'One auth profile', answers: { 200: profile }, errors: { 404: 'no such profile' } })
  @Scopes(Scope.adminRead)
  get(@Param('name') name: string) {
    return this.profiles.get(name);
  }

  @Put(':name')
  @ApiDoc({
    summary: 'Replaces a profile (its secret too)',
    body: authProfileSchema,
    answers: { 200: profile },
    errors: { 404: 'no such profile', 422: 'not of the schema, or `name` is not the one in the URL' },
  })
  @Scopes(Scope.adminWrite)
  update(@Param('name') name: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.profiles.upsert(body, actor, name);
  }
}
