import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database.module.js';
import { DatasetsModule } from '../datasets/datasets.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { FilesController } from './files.controller.js';
import { FilesService } from './files.service.js';

@Module({
  imports: [DatabaseModule, DatasetsModule, OutboxModule],
  controllers: [FilesController],
  providers: [FilesService],
})
export class FilesModule {}
