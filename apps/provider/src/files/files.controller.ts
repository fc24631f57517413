import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '#ferry/auth';
import { type FileManifest, Scope } from '#ferry/contracts';
import { FilesService } from './files.service.js';

@ApiTags('files')
@ApiBearerAuth()
@Controller('datasets/:dataset/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(201)
  @Scopes(Scope.dataWrite)
  publish(@Param('dataset') dataset: string, @Body() body: unknown): Promise<FileManifest> {
    return this.files.publish(dataset, body);
  }

  @Get(':fileId')
  @Scopes(Scope.dataRead)
  manifest(@Param('dataset') dataset: string, @Param('fileId') fileId: string): Promise<FileManifest> {
    return this.files.manifest(dataset, fileId);
  }

  @Get(':fileId/records')
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
