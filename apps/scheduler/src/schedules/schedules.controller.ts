import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope, Scopes } from '#ferry/auth';
import { Scope, scheduleStateSchema } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { SchedulesService } from './schedules.service.js';

const byIdOrName = { id: "The definition's id or its name" };
const state = { schema: scheduleStateSchema, description: "The schedule's clock and its latest fires" };
const notFound = { 404: 'no definition with this id or name, or it has no schedule' } as const;

@ApiTags('admin: schedules')
@ApiBearerAuth()
@Controller('definitions/:id/schedule')
export class SchedulesController {
  constructor(@Inject(SchedulesService) private readonly schedules: SchedulesService) {}

  @Get()
  @ApiDoc({
    summary: "A definition's schedule: its next fire time, pause, and latest fires (skipped ones with why)",
    answers: { 200: state },
    params: byIdOrName,
    errors: notFound,
  })
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string) {
    return this.schedules.view(id);
  }

  @Post('pause')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Pauses the schedule: it fires nothing until resumed (messages still start runs)',
    answers: { 200: state },
    params: byIdOrName,
    errors: notFound,
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  pause(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.schedules.setPaused(id, true, actor);
  }

  @Post('resume')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Resumes the schedule: fires missed while paused follow its misfire policy',
    answers: { 200: state },
    params: byIdOrName,
    errors: notFound,
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  resume(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.schedules.setPaused(id, false, actor);
  }
}
