import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '#ferry/auth';
import { Scope } from '#ferry/contracts';
import type { DatasetDefinition } from '#ferry/datasets';
import { DatasetsService } from './datasets.service.js';

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  /** 201 when created, 200 when it existed (replaced with a new schemaVersion if it changed). */
  @Post()
  @Scopes(Scope.dataWrite)
  async put(@Body() body: unknown, @Res({ passthrough: true }) res: FastifyReply): Promise<DatasetDefinition> {
    const { created, definition } = await this.datasets.put(body);
    res.status(created ? 201 : 200);
    return definition;
  }

  /** Consumers read a dataset's schema, key and mapping here before loading its files. */
  @Get(':dataset')
  @Scopes(Scope.dataRead)
  get(@Param('dataset') dataset: string): Promise<DatasetDefinition> {
    return this.datasets.get(dataset);
  }
}
