import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { Scope, authProfileSchema } from '#ferry/contracts';
import { AuthProfilesService } from './auth-profiles.service.js';
import { type GroupRunQuery, RunsService } from './runs.service.js';

@ApiTags('admin: runs')
@ApiBearerAuth()
@Controller()
export class RunsController {
  constructor(@Inject(RunsService) private readonly runs: RunsService) {}

  @Get('group-runs')
  @Scopes(Scope.adminRead)
  list(@Query() q: GroupRunQuery) {
    return this.runs.listGroups(q);
  }

  @Get('group-runs/:id')
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string) {
    return this.runs.getGroup(id);
  }

  @Post('group-runs/:id/cancel')
  @HttpCode(200)
  @Scopes(Scope.adminWrite)
  cancel(@Param('id') id: string) {
    return this.runs.cancelGroup(id);
  }

  @Get('task-runs/:id')
  @Scopes(Scope.adminRead)
  task(@Param('id') id: string) {
    return this.runs.getTask(id);
  }

  @Post('task-runs/:id/retry')
  @HttpCode(200)
  @Scopes(Scope.adminWrite)
  retry(@Param('id') id: string) {
    return this.runs.retryTask(id);
  }

  @Get('triggers')
  @Scopes(Scope.adminRead)
  triggers(@Query() q: { status?: string; cursor?: string; limit?: string }) {
    return this.runs.listTriggers(q);
  }

  @Get('stats')
  @Scopes(Scope.adminRead)
  stats() {
    return this.runs.stats();
  }
}

@ApiTags('admin: auth profiles')
@ApiBearerAuth()
@Controller('auth-profiles')
export class AuthProfilesController {
  constructor(@Inject(AuthProfilesService) private readonly profiles: AuthProfilesService) {}

  @Get()
  @Scopes(Scope.adminRead)
  list() {
    return this.profiles.list();
  }

  @Post()
  @Scopes(Scope.adminWrite)
  @ApiBody({ schema: authProfileSchema as object })
  create(@Body() body: unknown) {
    return this.profiles.upsert(body);
  }

  @Get(':name')
  @Scopes(Scope.adminRead)
  get(@Param('name') name: string) {
    return this.profiles.get(name);
  }

  @Put(':name')
  @Scopes(Scope.adminWrite)
  @ApiBody({ schema: authProfileSchema as object })
  update(@Param('name') name: string, @Body() body: unknown) {
    return this.profiles.upsert(body, name);
  }
}
