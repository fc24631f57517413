import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '#ferry/auth';
import { type FileManifest, fileManifestSchema, publishFileSchema, recordsPageSchema, Scope } from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { FilesService } from './files.service.js';

@ApiTags('files')
@ApiBearerAuth()
@Controller('datasets/:dataset/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(201)
  @ApiDoc({
    summary: 'Publishes a file of records; the provider then posts its trigger message to the scheduler',
    body: publishFileSchema,
    answers: { 201: { schema: fileManifestSchema, description: 'The stored file' } },
    errors: {
      404: 'no such dataset',
      422: 'not of the schema, or a record of a changes file without a valid `op`; `details` says where',
    },
  })
  @Scopes(Scope.dataWrite)
  publish(@Param('dataset') dataset: string, @Body() body: unknown): Promise<FileManifest> {
    return this.files.publish(dataset, body);
  }

  @Get(':fileId')
  @ApiDoc({
    summary: "A file's manifest",
    answers: { 200: { schema: fileManifestSchema, description: 'The manifest' } },
    errors: { 404: 'no such file in this dataset' },
  })
  @Scopes(Scope.dataRead)
  manifest(@Param('dataset') dataset: string, @Param('fileId') fileId: string): Promise<FileManifest> {
    return this.files.manifest(dataset, fileId);
  }

  @Get(':fileId/records')
  @ApiDoc({
    summary: "A page of a file's records, in file order",
    answers: { 200: { schema: recordsPageSchema, description: 'One page' } },
    query: pageQuery(10000, 1000),
    errors: {
      404: 'no such file in this dataset',
      422: 'a cursor this API did not issue, or a limit out of range',
    },
  })
  @Scopes(Scope.dataRead)
  async records(
    @Param('dataset') dataset: string,
    @Param('fileId') fileId: string,
    @Query('cursor') cursor: string | undefined,
    @Query('limit') limit: string | undefined,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const body = await this.files.page(dataset, fileId, cursor, limit);
    res.status(200).type('application/json').send(body);
  }
}
