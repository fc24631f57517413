import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { commonProviders, HealthController } from '#ferry/http';
import { Db } from '#ferry/persistence';
import type { ProviderConfig } from './config.js';
import { DatasetsController } from './datasets/datasets.controller.js';
import { DatasetsService } from './datasets/datasets.service.js';
import { FilesController } from './files/files.controller.js';
import { FilesService } from './files/files.service.js';
import { Announcer } from './outbox/announcer.js';
import { ProviderObservability } from './observability/provider-observability.js';

/** Resources opened before Nest starts (so a bad database fails boot), closed when it stops. */
export interface ProviderRuntime {
  config: ProviderConfig;
  db: Db;
  announcer: Announcer;
  observability?: ProviderObservability;
}

const RUNTIME = Symbol('PROVIDER_RUNTIME');

class ProviderLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RUNTIME) private readonly rt: ProviderRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.rt.announcer.pump.stop();
    await this.rt.db.close();
  }
}

@Module({})
export class ProviderModule {
  static forRoot(rt: ProviderRuntime): DynamicModule {
    return {
      module: ProviderModule,
      imports: [TerminusModule],
      controllers: [HealthController, DatasetsController, FilesController],
      providers: [
        ...commonProviders({ auth: rt.config.auth, rateLimitPerSecond: rt.config.http.rateLimitPerSecond, db: rt.db }),
        { provide: RUNTIME, useValue: rt },
        { provide: Db, useValue: rt.db },
        { provide: Announcer, useValue: rt.announcer },
        ...(rt.observability ? [{ provide: ProviderObservability, useValue: rt.observability }] : []),
        DatasetsService,
        FilesService,
        ProviderLifecycle,
      ],
    };
  }
}
