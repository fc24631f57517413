import { Module } from '@nestjs/common';
import { DefinitionReads } from './definition-reads.js';
import { DefinitionVersions } from './definition-versions.js';
import { DefinitionsService } from './definitions.service.js';

/** Job definitions: what a trigger starts, where its tasks go, and how they are retried. */
@Module({
  providers: [DefinitionsService, DefinitionVersions, DefinitionReads],
  exports: [DefinitionsService, DefinitionVersions, DefinitionReads],
})
export class DefinitionsModule {}
