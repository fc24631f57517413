import { createHttpApp, type HttpApp, listen } from '#ferry/http';
import type { SchedulerConfig } from './scheduler.config.js';
import { SchedulerModule } from './scheduler.module.js';
import { type RuntimeOverrides, SchedulerRuntime } from './scheduler.runtime.js';

export interface SchedulerHandle {
  url: string;
  app: HttpApp;
  runtime: SchedulerRuntime;
  close(): Promise<void>;
}

/**
 * Starts one scheduler instance (HTTP API + queue workers +
 * reconciler); used by main.ts, tests, the demo and the bench.
 */
export async function startScheduler(
  config: SchedulerConfig,
  overrides: RuntimeOverrides = {},
): Promise<SchedulerHandle> {
  const runtime = await SchedulerRuntime.open(config, overrides);
  const app = await createHttpApp(SchedulerModule.forRoot(runtime), {
    title: 'Ferry scheduler',
    description: 'Triggers, callbacks and the admin API of the Ferry scheduler (see CONTRACT.md)',
    bodyLimitBytes: config.http.bodyLimitBytes,
    logger: config.logLevels,
    hooks: runtime.observability.obs.httpHooks({ nestLogger: config.logLevels !== false }),
  });
  const url = await listen(app, config.http.port, config.http.host, 'Scheduler');
  runtime.callbackBase = url;
  await runtime.observability.obs.start();
  runtime.startWorkers();
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    runtime,
    close: () =>
      (closing ??= (async () => {
        await runtime.close();
        await app.close();
      })()),
  };
}
