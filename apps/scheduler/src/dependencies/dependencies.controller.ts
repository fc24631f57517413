import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { definitionDependenciesSchema, Scope } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { DependenciesService } from './dependencies.service.js';

@ApiTags('admin: definitions')
@ApiBearerAuth()
@Controller('definitions')
export class DependenciesController {
  constructor(@Inject(DependenciesService) private readonly dependencies: DependenciesService) {}

  @Get(':id/dependencies')
  @ApiDoc({
    summary: "A definition's upstreams and dependants, and for its last 7 business dates whether its upstreams are met",
    answers: { 200: { schema: definitionDependenciesSchema, description: 'Its dependencies' } },
    params: { id: "The definition's id or its name" },
    errors: { 404: 'no definition with this id or name' },
  })
  @Scopes(Scope.adminRead)
  get(@Param('id') id: string) {
    return this.dependencies.view(id);
  }
}
