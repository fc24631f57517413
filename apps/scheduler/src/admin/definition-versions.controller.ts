import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import {
  definitionDiffSchema,
  definitionSchema,
  definitionVersionPageSchema,
  definitionVersionSchema,
  Scope,
} from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { DefinitionVersions } from '../definitions/definition-versions.js';
import { DefinitionsService } from '../definitions/definitions.service.js';

const byIdOrName = { id: "The definition's id or its name" };
const definition = { schema: definitionSchema, description: 'The definition as stored now' };
const versionQuery = (what: string) => ({
  schema: { type: 'integer', minimum: 1 },
  description: `The ${what} version`,
  required: true,
});

/** Issue 13: archiving definitions (never deleting them), and their stored versions. */
@ApiTags('admin: definitions')
@ApiBearerAuth()
@Controller('definitions')
export class DefinitionVersionsController {
  constructor(
    @Inject(DefinitionsService) private readonly defs: DefinitionsService,
    @Inject(DefinitionVersions) private readonly versions: DefinitionVersions,
  ) {}

  // A change to definitions: admin:write (an admin's, or a service client's).
  @Post(':id/archive')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Archives a definition: it matches no trigger and leaves the default list (nothing is deleted)',
    answers: { 200: definition },
    params: byIdOrName,
    errors: { 404: 'no definition with this id or name' },
  })
  @Scopes(Scope.adminWrite)
  archive(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.defs.setArchived(id, true, actor);
  }

  @Post(':id/unarchive')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Unarchives a definition: it matches triggers again',
    answers: { 200: definition },
    params: byIdOrName,
    errors: { 404: 'no definition with this id or name' },
  })
  @Scopes(Scope.adminWrite)
  unarchive(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.defs.setArchived(id, false, actor);
  }

  @Get(':id/versions')
  @ApiDoc({
    summary: "Every stored version of a definition's spec, newest first",
    answers: { 200: { schema: definitionVersionPageSchema, description: 'All of them (nextCursor is null)' } },
    params: byIdOrName,
    errors: { 404: 'no definition with this id or name' },
  })
  @Scopes(Scope.adminRead)
  list(@Param('id') id: string) {
    return this.versions.list(id);
  }

  @Get(':id/versions/:n')
  @ApiDoc({
    summary: "One version of a definition's spec",
    answers: { 200: { schema: definitionVersionSchema, description: 'The spec as that version stored it' } },
    params: { ...byIdOrName, n: 'The version number' },
    errors: { 404: 'no such definition, or no such version of it', 422: '`n` is not a version number' },
  })
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string, @Param('n') n: string) {
    return this.versions.get(id, n);
  }

  @Get(':id/diff')
  @ApiDoc({
    summary: 'What changed between two versions of a definition: each changed path with its values before and after',
    answers: { 200: { schema: definitionDiffSchema, description: 'The changed paths, in key order' } },
    params: byIdOrName,
    query: { from: versionQuery('earlier'), to: versionQuery('later') },
    errors: { 404: 'no such definition, or no such version of it', 422: '`from` or `to` is not a version number' },
  })
  @Scopes(Scope.adminRead)
  diff(@Param('id') id: string, @Query() q: { from?: string; to?: string }) {
    return this.versions.diff(id, q);
  }
}
