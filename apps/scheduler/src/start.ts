import { fastifyCookie } from '@fastify/cookie';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { SESSION_COOKIE } from '#ferry/auth';
import { createHttpApp, type HttpApp, listen, serveSinglePageApp } from '#ferry/http';
import { mountQueueBoard } from './accounts/queue-board.js';
import { SessionsService } from './accounts/sessions.service.js';
import { AuditLog } from './audit/audit-log.js';
import { CallbackBase } from './core/callback-base.js';
import type { RuntimeOverrides } from './core/tokens.js';
import { SchedulerObservability } from './observability/scheduler-observability.js';
import { TRIGGER_QUEUE } from './queue/queue.module.js';
import { TaskQueue } from './queue/task-queue.js';
import type { SchedulerConfig } from './scheduler.config.js';
import { SchedulerModule } from './scheduler.module.js';

export interface SchedulerHandle {
  url: string;
  /** The Nest application: `app.get(Class)` reaches any part of the instance (tests, the bench). */
  app: HttpApp;
  observability: SchedulerObservability;
  close(): Promise<void>;
}

/**
 * Starts one scheduler instance (HTTP API + queue processors + background work); used by main.ts, tests, the demo
 * and the bench.
 */
export async function startScheduler(
  config: SchedulerConfig,
  overrides: RuntimeOverrides = {},
): Promise<SchedulerHandle> {
  const app = await createHttpApp(SchedulerModule.forRoot(config, overrides), {
    title: 'Ferry scheduler',
    description: 'Triggers, callbacks and the admin API of the Ferry scheduler (see docs/contract.md)',
    bodyLimitBytes: config.http.bodyLimitBytes,
    docsPublic: config.http.docsPublic,
    sessionCookie: SESSION_COOKIE,
    logger: config.logLevels,
    hooks: (nest) => nest.get(SchedulerObservability).obs.httpHooks({ nestLogger: config.logLevels !== false }),
    abortOnError: false,
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  try {
    // The portal's session cookie: parsed only where a session is looked up (hook: false), never for a bearer call.
    await app.register(fastifyCookie as never, { hook: false });
    // Bull Board's routes under /portal/queues are more specific than the app's /portal/* fallback: they win.
    const queues = [app.get(TaskQueue).queue, app.get<Queue>(TRIGGER_QUEUE)];
    await mountQueueBoard(app, queues, app.get(SessionsService), app.get(AuditLog));
    if (!serveSinglePageApp(app, config.portalDir, '/portal'))
      new Logger('Scheduler').log(
        `no portal bundle in ${config.portalDir} (npm run build makes it): /portal not served`,
      );
    const url = await listen(app, config, 'Scheduler');
    // The processors send callback URLs: they start now that the address is known.
    app.get(CallbackBase).listeningOn(url);
    const observability = app.get(SchedulerObservability);
    await observability.obs.start();
    return { url, app, observability, close };
  } catch (err) {
    await close();
    throw err;
  }
}
