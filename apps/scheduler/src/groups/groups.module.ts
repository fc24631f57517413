import { Module } from '@nestjs/common';
import { CreatedRuns } from './created-runs.js';
import { GroupRecounter } from './group-recounter.js';
import { GroupRunFactory } from './group-run.factory.js';
import { GroupSpecs } from './group-specs.js';

/** Group runs: their specs, their recounts after task moves, and how a run is planned. */
@Module({
  providers: [GroupSpecs, GroupRecounter, GroupRunFactory, CreatedRuns],
  exports: [GroupSpecs, GroupRecounter, GroupRunFactory, CreatedRuns],
})
export class GroupsModule {}
