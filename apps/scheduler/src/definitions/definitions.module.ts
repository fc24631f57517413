import { Module } from '@nestjs/common';
import { DefinitionsService } from './definitions.service.js';

/** Job definitions: what a trigger starts, where its tasks go, and how they are retried. */
@Module({
  providers: [DefinitionsService],
  exports: [DefinitionsService],
})
export class DefinitionsModule {}
