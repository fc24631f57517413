import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyScope, Scopes } from '#ferry/auth';
import {
  definitionPageSchema,
  definitionSchema,
  definitionSpecSchema,
  manualRunAnswerSchema,
  manualRunSchema,
  Scope,
} from '#ferry/contracts';
import { ApiDoc, pageQuery, SchemaPipe } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { DefinitionsService } from '../definitions/definitions.service.js';
import { RunsService } from './runs.service.js';

const byIdOrName = { id: "The definition's id or its name" };
const definition = { schema: definitionSchema, description: 'The definition as stored now' };
const notFound = { 404: 'no definition with this id or name' } as const;

@ApiTags('admin: definitions')
@ApiBearerAuth()
@Controller('definitions')
export class DefinitionsController {
  constructor(
    @Inject(DefinitionsService) private readonly defs: DefinitionsService,
    @Inject(RunsService) private readonly runs: RunsService,
  ) {}

  @Get()
  @ApiDoc({
    summary: 'Trigger definitions, newest first',
    answers: { 200: { schema: definitionPageSchema, description: 'One page' } },
    query: {
      archived: {
        schema: { type: 'boolean', default: false },
        description: 'true: the archived definitions (only they); false or absent: the others',
      },
      ...pageQuery(500, 50),
    },
    errors: { 422: 'archived is not true or false, a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: { archived?: string; cursor?: string; limit?: string }) {
    return this.defs.list(q);
  }

  @Post()
  @ApiDoc({
    summary: 'Creates a definition (version 1)',
    body: definitionSpecSchema,
    answers: { 201: definition },
    errors: {
      409: 'a definition with this name exists',
      422: 'not of the schema, an unknown time zone or auth profile; `details` says where',
    },
  })
  @Scopes(Scope.adminWrite)
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.defs.create(body, actor);
  }

  @Get(':id')
  @ApiDoc({ summary: 'One definition', answers: { 200: definition }, params: byIdOrName, errors: notFound })
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string) {
    return this.defs.get(id);
  }

  @Put(':id')
  @ApiDoc({
    summary: 'Replaces a definition; `version` must be the current one',
    body: definitionSpecSchema,
    answers: { 200: definition },
    params: byIdOrName,
    errors: {
      ...notFound,
      409: '`version` is not the current one, or the name is taken',
      422: 'not of the schema, no `version`, an unknown time zone or auth profile; `details` says where',
    },
  })
  @Scopes(Scope.adminWrite)
  update(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.defs.update(id, body, actor);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Stops new triggers starting runs',
    answers: { 200: definition },
    params: byIdOrName,
    errors: notFound,
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  pause(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.defs.setEnabled(id, false, actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Lets triggers start runs again',
    answers: { 200: definition },
    params: byIdOrName,
    errors: notFound,
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  resume(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.defs.setEnabled(id, true, actor);
  }

  @Post(':id/runs')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Starts a run by hand, as if a trigger had come (one task per file, or one without files)',
    body: manualRunSchema,
    bodyOptional: true,
    answers: { 202: { schema: manualRunAnswerSchema, description: 'The group run started, with its task count' } },
    params: byIdOrName,
    errors: notFound,
  })
  @AnyScope(Scope.adminOperate, Scope.adminWrite)
  run(@Param('id') id: string, @Body(new SchemaPipe(manualRunSchema)) body: unknown, @CurrentActor() actor: Actor) {
    return this.runs.manualRun(id, body, actor);
  }
}
