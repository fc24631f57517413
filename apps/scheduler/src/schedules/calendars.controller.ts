import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '#ferry/auth';
import {
  type Calendar,
  calendarPageSchema,
  calendarPutSchema,
  calendarSchema,
  Scope,
  schedulePreviewRequestSchema,
  schedulePreviewSchema,
} from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { CalendarsService } from './calendars.service.js';

const byName = { name: "The calendar's name" };
const notFound = { 404: 'no calendar with this name' } as const;

@ApiTags('admin: calendars')
@ApiBearerAuth()
@Controller('calendars')
export class CalendarsController {
  constructor(@Inject(CalendarsService) private readonly calendars: CalendarsService) {}

  @Get()
  @ApiDoc({
    summary: 'Calendars, newest first',
    answers: { 200: { schema: calendarPageSchema, description: 'One page' } },
    query: pageQuery(500, 50),
    errors: { 422: 'a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: { cursor?: string; limit?: string }) {
    return this.calendars.list(q);
  }

  @Get(':name')
  @ApiDoc({
    summary: 'One calendar',
    answers: { 200: { schema: calendarSchema, description: 'The calendar as stored now' } },
    params: byName,
    errors: notFound,
  })
  @Scopes(Scope.adminRead)
  get(@Param('name') name: string) {
    return this.calendars.get(name);
  }

  @Put(':name')
  @ApiDoc({
    summary: 'Creates a calendar, or replaces it (only the `version` read, when one is given)',
    body: calendarPutSchema,
    answers: {
      201: { schema: calendarSchema, description: 'Created (version 1)' },
      200: { schema: calendarSchema, description: 'Replaced: as stored now' },
    },
    params: byName,
    errors: {
      409: '`version` is not the current one, or the calendar no longer exists',
      422: 'not of the schema (a holiday not a date, a business day not 1..7, a window not HH:mm), or `name` is not the one in the URL',
    },
  })
  @Scopes(Scope.adminWrite)
  async put(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Calendar> {
    const { created, calendar } = await this.calendars.put(name, body, actor);
    res.status(created ? 201 : 200);
    return calendar;
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiDoc({
    summary: 'Deletes a calendar no definition names',
    answers: { 204: { description: 'Deleted' } },
    params: byName,
    errors: { ...notFound, 409: "a definition's schedule names it" },
  })
  @Scopes(Scope.adminWrite)
  delete(@Param('name') name: string, @CurrentActor() actor: Actor) {
    return this.calendars.delete(name, actor);
  }
}

@ApiTags('admin: schedules')
@ApiBearerAuth()
@Controller('schedules')
export class SchedulePreviewController {
  constructor(@Inject(CalendarsService) private readonly calendars: CalendarsService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiDoc({
    summary: "A schedule's next fires (default 10, at most 50), less its calendar, from now or `from` on",
    body: schedulePreviewRequestSchema,
    answers: { 200: { schema: schedulePreviewSchema, description: 'The fires, oldest first' } },
    errors: {
      422: 'not of the schema, a cron that does not parse, an unknown time zone, or a calendar not stored',
    },
  })
  @Scopes(Scope.adminRead)
  preview(@Body() body: unknown) {
    return this.calendars.preview(body);
  }
}
