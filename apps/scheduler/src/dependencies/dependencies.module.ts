import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { TriggersModule } from '../triggers/triggers.module.js';
import { DependenciesController } from './dependencies.controller.js';
import { DependenciesService } from './dependencies.service.js';
import { DependencyResolver } from './dependency-resolver.js';
import { DependencySweeper } from './dependency-sweeper.js';

/**
 * Dependency triggers: a definition fires for a business date once its upstreams succeeded for it. The
 * resolver listens to group status changes (ListenersModule); the sweep is its backstop and checks cutoffs.
 */
@Module({
  imports: [GroupsModule, AlertsModule, TriggersModule, DefinitionsModule],
  controllers: [DependenciesController],
  providers: [DependencyResolver, DependencySweeper, DependenciesService],
  exports: [DependencyResolver, DependencySweeper],
})
export class DependenciesModule {}
