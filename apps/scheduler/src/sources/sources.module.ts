import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TriggersModule } from '../triggers/triggers.module.js';
import { rabbitSourceFactory } from './rabbitmq-source.js';
import { pgOutboxSource } from './pg-outbox-source.js';
import { natsSource } from './nats-source.js';
import { SourceDelivery } from './source-delivery.js';
import type { SourceFactory, TriggerSource, TriggerSourceConfig } from './trigger-source.js';

/** One factory per source type: each adapter registers itself here. */
const FACTORIES: Partial<Record<TriggerSourceConfig['type'], SourceFactory<never>>> = {
  rabbitmq: rabbitSourceFactory,
  'pg-outbox': pgOutboxSource,
  nats: natsSource,
};

/** The configured trigger sources (FERRY_TRIGGER_SOURCES), started on instances that take work. */
@Injectable()
export class TriggerSources implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TriggerSources');
  private readonly running: TriggerSource[] = [];

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: Pick<SchedulerConfig, 'triggerSources' | 'runWorkers'>,
    @Inject(SourceDelivery) private readonly delivery: SourceDelivery,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runWorkers) return;
    for (const c of this.config.triggerSources) {
      const factory = FACTORIES[c.type] as SourceFactory | undefined;
      if (!factory) throw new Error(`FERRY_TRIGGER_SOURCES: no source of type ${c.type} is built in`);
      const source = factory(c, this.delivery);
      await source.start();
      this.running.push(source);
      this.logger.log(`reading triggers from ${source.name}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.running.splice(0).map((s) => s.stop()));
  }
}

@Module({
  imports: [TriggersModule],
  providers: [SourceDelivery, TriggerSources],
  exports: [SourceDelivery],
})
export class SourcesModule {}
