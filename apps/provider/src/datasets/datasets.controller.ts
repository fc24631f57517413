import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '#ferry/auth';
import { datasetDefinitionSchema, Scope } from '#ferry/contracts';
import { type DatasetDefinition, datasetSpecSchema } from '#ferry/datasets';
import { ApiDoc } from '#ferry/http';
import { DatasetsService } from './datasets.service.js';

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  /** 201 when created, 200 when it existed (replaced with a new schemaVersion if it changed). */
  @Post()
  @ApiDoc({
    summary: 'Creates a dataset, or replaces it (schemaVersion + 1) if it changed; the same body changes nothing',
    body: datasetSpecSchema,
    answers: {
      201: { schema: datasetDefinitionSchema, description: 'Created' },
      200: { schema: datasetDefinitionSchema, description: 'It existed: as it is now' },
    },
    errors: {
      409: "its `mapping.table` is another dataset's table",
      422:
        'not of the schema, or inconsistent (a key not mapped, a reserved table, a record schema a consumer ' +
        'refuses: remote `$ref`, `$id`, not draft-07, too large or deep; a `sink.url` outside the origins its ' +
        '`sink.authProfile` may be sent to, FERRY_PROVIDER_SINK_ORIGINS); `details` says where',
    },
  })
  @Scopes(Scope.dataWrite)
  async put(@Body() body: unknown, @Res({ passthrough: true }) res: FastifyReply): Promise<DatasetDefinition> {
    const { created, definition } = await this.datasets.put(body);
    res.status(created ? 201 : 200);
    return definition;
  }

  /** Consumers read a dataset's schema, key and mapping here before loading its files. */
  @Get(':dataset')
  @ApiDoc({
    summary: "A dataset's record schema, key and mapping",
    answers: { 200: { schema: datasetDefinitionSchema, description: 'The dataset' } },
    errors: { 404: 'no such dataset' },
  })
  @Scopes(Scope.dataRead)
  get(@Param('dataset') dataset: string): Promise<DatasetDefinition> {
    return this.datasets.get(dataset);
  }
}
