import { Inject, Injectable } from '@nestjs/common';
import type { SchedulerConfig } from '../scheduler.config.js';
import { SCHEDULER_CONFIG } from './tokens.js';

/**
 * The base URL downstreams call back on: the configured public URL, or the address the HTTP server
 * listens on, known only once it listens (tests listen on port 0). Work that sends callback URLs
 * (the queue processors) starts when it is known.
 */
@Injectable()
export class CallbackBase {
  private url?: string;
  private resolve!: () => void;
  /** Resolves once the base URL is known. */
  readonly known = new Promise<void>((r) => (this.resolve = r));

  constructor(@Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'publicUrl'>) {
    if (config.publicUrl) this.listeningOn(config.publicUrl);
  }

  /** Called once the HTTP server listens (start.ts); a configured public URL wins. */
  listeningOn(url: string): void {
    this.url ??= url;
    this.resolve();
  }

  isKnown(): boolean {
    return this.url !== undefined;
  }

  get(): string {
    if (this.url === undefined) throw new Error('The callback base URL is not known before the server listens');
    return this.url;
  }
}
