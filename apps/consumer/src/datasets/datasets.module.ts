import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database.module.js';
import { DatasetCatalog } from './catalog.js';

@Module({ imports: [DatabaseModule], providers: [DatasetCatalog], exports: [DatasetCatalog] })
export class DatasetsModule {}
