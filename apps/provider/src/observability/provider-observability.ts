import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { capLogLevel, Counter, Histogram, Observability, type ObservabilityOverrides } from '#ferry/observability';
import type { ProviderConfig } from '../config.js';
import type { PagesListener } from '../files/files.service.js';

/**
 * The provider's signals: pages and records served (request counts and times come from the HTTP
 * layer). Starts first and closes last.
 */
export class ProviderObservability implements PagesListener, OnApplicationBootstrap, OnApplicationShutdown {
  readonly pages: Counter;
  readonly records: Counter;
  readonly pageSize: Histogram;

  private constructor(readonly obs: Observability) {
    const registers = [obs.registry];
    this.pages = new Counter({ name: 'ferry_provider_pages_served_total', help: 'Record pages served', registers });
    this.records = new Counter({
      name: 'ferry_provider_records_served_total',
      help: 'Records served in pages',
      registers,
    });
    this.pageSize = new Histogram({
      name: 'ferry_provider_page_records',
      help: 'Records per page served',
      buckets: [0, 10, 100, 500, 1000, 2500, 5000, 10000],
      registers,
    });
  }

  static async create(config: ProviderConfig, overrides: ObservabilityOverrides = {}): Promise<ProviderObservability> {
    const o = config.observability;
    return new ProviderObservability(
      await Observability.create(
        { ...o, log: { ...o.log, level: capLogLevel(o.log.level, config.logger) } },
        overrides,
      ),
    );
  }

  pageServed(records: number): void {
    this.pages.inc();
    this.records.inc(records);
    this.pageSize.observe(records);
  }

  /** The separate /metrics listener, when configured. */
  onApplicationBootstrap(): Promise<void> {
    return this.obs.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  close(): Promise<void> {
    return this.obs.close();
  }
}
