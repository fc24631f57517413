import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { Scope, taskRunListedPageSchema, taskRunPageSchema } from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { TaskListsService, type TaskRunQuery } from './task-lists.service.js';

const paging = pageQuery(500, 50);
const instantQuery = (what: string) => ({
  schema: {
    anyOf: [
      { type: 'string', format: 'date' },
      { type: 'string', format: 'date-time' },
    ],
  },
  description: `Only task runs created ${what} this instant (ISO-8601 date or date-time)`,
});

/** Issue 13's task-run lists (docs/contract-additions.md). */
@ApiTags('admin: runs')
@ApiBearerAuth()
@Controller()
export class TaskRunsController {
  constructor(@Inject(TaskListsService) private readonly lists: TaskListsService) {}

  @Get('task-runs')
  @ApiDoc({
    summary: 'Task runs of every group, newest first',
    answers: { 200: { schema: taskRunListedPageSchema, description: 'One page' } },
    query: {
      status: { schema: { type: 'string' }, description: 'Only task runs in this status; other values match nothing' },
      definition: { schema: { type: 'string' }, description: 'Only tasks of runs of this definition (its id or name)' },
      businessDate: { schema: { type: 'string', format: 'date' }, description: 'Only tasks of runs for this date' },
      from: instantQuery('at or after'),
      to: instantQuery('before'),
      ...paging,
    },
    errors: {
      422: 'businessDate is not YYYY-MM-DD, from or to is not a date, a cursor this API did not issue, or a limit out of range',
    },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: TaskRunQuery) {
    return this.lists.listTasks(q);
  }

  @Get('group-runs/:id/tasks')
  @ApiDoc({
    summary: "A group run's tasks, by seq, page by page",
    answers: { 200: { schema: taskRunPageSchema, description: 'One page' } },
    query: paging,
    errors: { 404: 'no such group run', 422: 'a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.adminRead)
  groupTasks(@Param('id') id: string, @Query() q: { cursor?: string; limit?: string }) {
    return this.lists.listGroupTasks(id, q);
  }
}
