import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { Scope, definitionSpecSchema } from '#ferry/contracts';
import { DefinitionsService } from '../definitions/definitions.service.js';
import { RunsService } from './runs.service.js';

@ApiTags('admin: definitions')
@ApiBearerAuth()
@Controller('definitions')
export class DefinitionsController {
  constructor(
    @Inject(DefinitionsService) private readonly defs: DefinitionsService,
    @Inject(RunsService) private readonly runs: RunsService,
  ) {}

  @Get()
  @Scopes(Scope.adminRead)
  list(@Query() q: { cursor?: string; limit?: string }) {
    return this.defs.list(q);
  }

  @Post()
  @Scopes(Scope.adminWrite)
  @ApiBody({ schema: definitionSpecSchema as object })
  create(@Body() body: unknown) {
    return this.defs.create(body);
  }

  @Get(':id')
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string) {
    return this.defs.get(id);
  }

  @Put(':id')
  @Scopes(Scope.adminWrite)
  @ApiBody({ schema: definitionSpecSchema as object })
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.defs.update(id, body);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Scopes(Scope.adminWrite)
  pause(@Param('id') id: string) {
    return this.defs.setEnabled(id, false);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Scopes(Scope.adminWrite)
  resume(@Param('id') id: string) {
    return this.defs.setEnabled(id, true);
  }

  @Post(':id/runs')
  @HttpCode(202)
  @Scopes(Scope.adminWrite)
  run(@Param('id') id: string, @Body() body: unknown) {
    return this.runs.manualRun(id, body);
  }
}
