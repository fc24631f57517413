import { Module } from '@nestjs/common';
import { EgressGuard } from '#ferry/egress';
import { OutboxStore } from '#ferry/outbox';
import { Db } from '#ferry/persistence';
import { SCHEDULER_CONFIG, SCHEDULER_OVERRIDES, type RuntimeOverrides } from '../core/tokens.js';
import { GroupsModule } from '../groups/groups.module.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { ALERT_CHANNEL_PORTS, defaultChannelPorts } from './alert-channels.js';
import { AlertDeliveriesController } from './alert-deliveries.controller.js';
import { AlertDeliveriesService } from './alert-deliveries.service.js';
import { AlertDelivery } from './alert-delivery.js';
import { AlertRaiser } from './alert-raiser.js';
import { AlertsController } from './alerts.controller.js';
import { AlertMoves } from './alert-moves.js';
import { AlertsService } from './alerts.service.js';

/** Alerts: raised from what happened, kept one per (run, kind), delivered through an outbox. */
@Module({
  imports: [GroupsModule],
  controllers: [AlertsController, AlertDeliveriesController],
  providers: [
    { provide: OutboxStore, useFactory: (db: Db) => new OutboxStore(db, 'alert_outbox'), inject: [Db] },
    {
      provide: ALERT_CHANNEL_PORTS,
      useFactory: (config: SchedulerConfig, overrides: RuntimeOverrides) =>
        defaultChannelPorts(
          config.alerts,
          new EgressGuard(config.egress),
          overrides.alertChannels,
          config.bounds.maxResponseBytes,
        ),
      inject: [SCHEDULER_CONFIG, SCHEDULER_OVERRIDES],
    },
    AlertDelivery,
    AlertDeliveriesService,
    AlertsService,
    AlertMoves,
    AlertRaiser,
  ],
  exports: [AlertsService, AlertRaiser, AlertDelivery, OutboxStore],
})
export class AlertsModule {}
