import type { Redis } from 'ioredis';
import { TaskRunEntity } from './persistence/index.js';
import { Db, openDataSource } from '#ferry/persistence';
import { createRedis } from '#ferry/queue';
import { AuthProfilesService } from './admin/auth-profiles.service.js';
import { RunsService } from './admin/runs.service.js';
import { CallbacksService } from './callbacks/callbacks.service.js';
import { DefinitionsService } from './definitions/definitions.service.js';
import { type DownstreamPort, HttpDownstream } from './dispatch/downstream.client.js';
import { OutboundTokens } from './dispatch/outbound-tokens.js';
import { TaskRoundWorker } from './dispatch/task-round.worker.js';
import { TaskRounds } from './dispatch/task-rounds.js';
import { GroupRunFactory } from './groups/group-run.factory.js';
import { GroupStore } from './groups/group-store.js';
import { Reconciler } from './maintenance/reconciler.js';
import { SCHEDULER_ENTITIES, SCHEDULER_MIGRATIONS } from './persistence/index.js';
import { TaskQueue } from './queue/task-queue.js';
import type { SchedulerConfig } from './scheduler.config.js';
import { TaskEngine } from './tasks/task-engine.js';
import { TriggerIntake } from './triggers/trigger-intake.service.js';
import { TriggerQueueWorker } from './triggers/trigger-queue.worker.js';

export interface RuntimeOverrides {
  downstream?: DownstreamPort;
  clock?: () => number;
}

/** Every long-lived object of one scheduler instance, built in order and closed in reverse. */
export class SchedulerRuntime {
  readonly redis: Redis;
  private readonly workerRedis: Redis;
  readonly queue: TaskQueue;
  readonly engine: TaskEngine;
  readonly intake: TriggerIntake;
  readonly definitions: DefinitionsService;
  readonly runs: RunsService;
  readonly reconciler: Reconciler;
  private readonly downstream: DownstreamPort;
  private readonly rounds: TaskRounds;
  private workers: Array<{ close(): Promise<void> }> = [];
  callbackBase = '';

  private constructor(readonly config: SchedulerConfig, readonly db: Db, overrides: RuntimeOverrides) {
    const clock = overrides.clock ?? Date.now;
    this.redis = createRedis(config.redis.url, 'producer');
    this.workerRedis = createRedis(config.redis.url, 'worker');
    this.queue = new TaskQueue(this.redis, config.redis.prefix);
    const groups = new GroupStore(db, clock);
    this.engine = new TaskEngine(db, groups, (e) => {
      groups.refreshLater(e.groups);
      this.queue.enqueueLater(e.ready);
      this.queue.removeLater(e.finished);
      this.queue.rescheduleLater(e.retryWaits);
    }, config.lanes, clock);
    const factory = new GroupRunFactory(this.engine.store);
    this.intake = new TriggerIntake(db, factory, this.queue, clock);
    this.definitions = new DefinitionsService(db, clock);
    this.runs = new RunsService(db, this.engine, this.definitions, factory, this.queue, clock);
    this.downstream = overrides.downstream ?? new HttpDownstream(config.dispatchTimeoutMs);
    this.rounds = new TaskRounds(
      this.engine, this.downstream, new OutboundTokens(db, config.defaultOutboundProfile), () => config.publicUrl ?? this.callbackBase,
      this.queue, (groupRunId) => readyTasksOf(db, groupRunId), config.concurrency, clock,
    );
    this.reconciler = new Reconciler(db, this.queue, this.engine, config.reconcileIntervalMs, clock);
  }

  static async open(config: SchedulerConfig, overrides: RuntimeOverrides = {}): Promise<SchedulerRuntime> {
    const ds = await openDataSource(config.db, { entities: SCHEDULER_ENTITIES, migrations: SCHEDULER_MIGRATIONS, migrationsTableName: 'scheduler_migrations' });
    return new SchedulerRuntime(config, new Db(ds), overrides);
  }

  /** The values the HTTP module injects, by class. */
  services(): Array<[abstract new (...args: never[]) => unknown, unknown]> {
    return [
      [TriggerIntake, this.intake], [CallbacksService, new CallbacksService(this.engine)], [DefinitionsService, this.definitions],
      [RunsService, this.runs], [AuthProfilesService, new AuthProfilesService(this.db)],
    ];
  }

  startWorkers(): void {
    if (!this.config.runWorkers) return;
    const prefix = this.config.redis.prefix;
    this.workers = [
      new TaskRoundWorker(this.rounds, this.workerRedis, prefix, this.config.concurrency),
      new TriggerQueueWorker(this.intake, this.config.triggerQueue, this.workerRedis, prefix),
    ];
    this.reconciler.start();
  }

  async close(): Promise<void> {
    await this.reconciler.stop();
    await Promise.all(this.workers.map((w) => w.close()));
    await this.queue.close().catch(() => undefined);
    await this.downstream.close();
    this.workerRedis.disconnect();
    this.redis.disconnect();
    await this.db.close();
  }
}

function readyTasksOf(db: Db, groupRunId: string): Promise<string[]> {
  return db.run(async (em) =>
    (await em.getRepository(TaskRunEntity).createQueryBuilder('t').select('t.id').where('t.groupRunId = :groupRunId AND t.status = :s AND t.readyAt IS NOT NULL', { groupRunId, s: 'PENDING' }).orderBy('t.seq').getMany()).map((t) => t.id),
  );
}
