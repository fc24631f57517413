import type { Redis } from 'ioredis';
import { openSchedulerDb, TaskRunEntity } from './persistence/index.js';
import type { Db } from '#ferry/persistence';
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
import { TaskQueue } from './queue/task-queue.js';
import type { SchedulerConfig } from './scheduler.config.js';
import { TaskEngine } from './tasks/task-engine.js';
import type { TaskRow } from './tasks/task-status.js';
import { TriggerIntake } from './triggers/trigger-intake.service.js';
import { TriggerQueueWorker } from './triggers/trigger-queue.worker.js';
import { OutboxStore } from '#ferry/outbox';
import { type AlertChannelPorts, defaultChannelPorts } from './alerts/alert-channels.js';
import { AlertDelivery } from './alerts/alert-delivery.js';
import { AlertRaiser } from './alerts/alert-raiser.js';
import { AlertsService } from './alerts/alerts.service.js';
import { TargetGuard } from './dispatch/target-guard.js';
import { OverdueSweeper } from './maintenance/overdue-sweeper.js';
import { isInFlight, LIVE_STATUSES } from './tasks/task-status.js';
import type { ObservabilityOverrides } from '#ferry/observability';
import { ObservedCallbacks, ObservedTriggerIntake } from './observability/observed-services.js';
import { SchedulerObservability } from './observability/scheduler-observability.js';

export interface RuntimeOverrides {
  downstream?: DownstreamPort;
  clock?: () => number;
  /** Swap alert channels (e.g. a log channel that records its lines). */
  alertChannels?: Partial<AlertChannelPorts>;
  /** Where log lines go (tests capture them). */
  observability?: ObservabilityOverrides;
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
  readonly alerts: AlertsService;
  readonly overdue: OverdueSweeper;
  readonly targets: TargetGuard;
  private readonly delivery: AlertDelivery;
  private readonly downstream: DownstreamPort;
  private readonly rounds: TaskRounds;
  private workers: Array<{ close(): Promise<void> }> = [];
  private readonly raiser: AlertRaiser;
  callbackBase = '';

  private constructor(
    readonly config: SchedulerConfig,
    readonly db: Db,
    overrides: RuntimeOverrides,
    readonly observability: SchedulerObservability,
  ) {
    const clock = overrides.clock ?? Date.now;
    this.redis = createRedis(config.redis.url, 'producer');
    this.workerRedis = createRedis(config.redis.url, 'worker');
    this.queue = new TaskQueue(this.redis, config.redis.prefix);
    const groups = new GroupStore(db, clock);
    const outbox = new OutboxStore(db, 'alert_outbox');
    this.delivery = new AlertDelivery(
      outbox,
      defaultChannelPorts(config.alerts, overrides.alertChannels),
      config.alerts,
    );
    this.alerts = new AlertsService(db, outbox, config.alerts, clock, () => this.delivery.kick());
    const raiser = (this.raiser = new AlertRaiser(db, this.alerts, groups));
    groups.onStatusChange = (change) => raiser.onGroupStatus(change);
    this.targets = new TargetGuard(
      this.redis,
      config.redis.prefix,
      config.targets,
      config.dispatchTimeoutMs + 1000,
      clock,
    );
    this.engine = new TaskEngine(
      db,
      groups,
      (e) => {
        groups.refreshLater(e.groups);
        this.queue.enqueueLater(e.ready);
        this.queue.removeLater(e.finished);
        this.queue.rescheduleLater(e.retryWaits);
        raiser.onMoves(e.moved);
        this.releasePermits(e.moved);
        this.observability.onEffects(e);
      },
      config.lanes,
      clock,
      config.dispatchTimeoutMs + 1000,
      config.acceptLingerMs,
    );
    const factory = new GroupRunFactory(this.engine.store);
    this.intake = Object.assign(new ObservedTriggerIntake(db, factory, this.queue, clock), {
      metrics: observability.metrics,
    });
    this.intake.unmatchedIn = (em, triggerId, msg) => raiser.unmatchedIn(em, triggerId, msg);
    this.intake.onNotified = () => this.delivery.kick();
    this.intake.onCreated = (plans) => this.engine.created(plans);
    this.definitions = new DefinitionsService(db, clock);
    this.runs = new RunsService(db, this.engine, this.definitions, factory, this.queue, clock);
    this.downstream = observability.downstream(overrides.downstream ?? new HttpDownstream(config.dispatchTimeoutMs));
    this.rounds = new TaskRounds(
      this.engine,
      this.downstream,
      new OutboundTokens(db, config.defaultOutboundProfile),
      () => config.publicUrl ?? this.callbackBase,
      this.queue,
      (groupRunId) => Promise.resolve(this.engine.takeCreated(groupRunId) ?? readyTasksOf(db, groupRunId)),
      (groupRunId) => liveTasksOf(db, groupRunId),
      config.concurrency,
      clock,
      this.targets,
    );
    this.reconciler = new Reconciler(db, this.queue, this.engine, config.reconcileIntervalMs, clock);
    this.overdue = new OverdueSweeper(db, this.engine, this.alerts, config.overdueSweepMs, clock);
    observability.watchGroups(groups);
    observability.watchState(db, this.queue.queue, this.redis, config);
  }

  static async open(config: SchedulerConfig, overrides: RuntimeOverrides = {}): Promise<SchedulerRuntime> {
    return new SchedulerRuntime(
      config,
      await openSchedulerDb(config.db),
      overrides,
      await SchedulerObservability.create(config, overrides.observability),
    );
  }

  /** The values the HTTP module injects, by class. */
  services(): Array<[abstract new (...args: never[]) => unknown, unknown]> {
    return [
      [TriggerIntake, this.intake],
      [
        CallbacksService,
        this.observability.instrumented
          ? new ObservedCallbacks(this.engine, this.observability.metrics, this.observability.traces)
          : new CallbacksService(this.engine),
      ],
      [DefinitionsService, this.definitions],
      [RunsService, this.runs],
      [AuthProfilesService, new AuthProfilesService(this.db)],
      [AlertsService, this.alerts],
      [TargetGuard, this.targets],
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
    this.overdue.start();
    this.delivery.start();
  }

  async close(): Promise<void> {
    await this.reconciler.stop();
    await this.overdue.stop();
    await this.delivery.stop();
    await Promise.all(this.workers.map((w) => w.close()));
    await this.engine.flush();
    // What the last commits set off (group counts, alerts) is written before the database closes.
    await this.engine.groups.settle();
    await this.raiser.settle();
    await this.queue.close().catch(() => undefined);
    await this.downstream.close();
    this.workerRedis.disconnect();
    this.redis.disconnect();
    await this.db.close();
    await this.observability.close();
  }

  /** An attempt that left DISPATCHED … RUNNING gives its target's concurrency permit back. */
  private releasePermits(
    moved: Array<{ event: { fromStatus: string | null; toStatus: string }; task: TaskRow }>,
  ): void {
    const done = moved
      .filter(({ event, task }) => task.targetUrl && isInFlight(event.fromStatus) && !isInFlight(event.toStatus))
      .map(({ task }) => task);
    if (!done.length) return;
    void (async () => {
      const infos = await this.engine.groups.info(undefined, [...new Set(done.map((t) => t.groupRunId))]);
      await this.targets.release(
        done
          .filter((t) => this.targets.capped(infos.get(t.groupRunId)?.spec))
          .map((t) => ({ url: t.targetUrl!, holder: t.id })),
      );
    })().catch(() => undefined); // a permit not given back expires with its lease
  }
}

function liveTasksOf(db: Db, groupRunId: string): Promise<TaskRow[]> {
  return db.run(
    async (em) =>
      (await em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .where('t.groupRunId = :groupRunId AND t.status IN (:...live)', { groupRunId, live: LIVE_STATUSES })
        .getMany()) as unknown as TaskRow[],
  );
}

/**
 * A group's tasks that are ready to be sent, in file order. Read by the group's index alone and
 * filtered here: with the status in the query, a planner without fresh statistics intersects it with
 * the status index, whose PENDING entries (every waiting task of every group) grow with the backlog.
 */
function readyTasksOf(db: Db, groupRunId: string): Promise<string[]> {
  return db.run(async (em) => {
    const rows: Array<{ id: string; status: string; ready: unknown }> = await em
      .getRepository(TaskRunEntity)
      .createQueryBuilder('t')
      .select('t.id', 'id')
      .addSelect('t.status', 'status')
      .addSelect('t.readyAt', 'ready')
      .where('t.groupRunId = :groupRunId', { groupRunId })
      .orderBy('t.seq')
      .getRawMany();
    return rows.filter((t) => t.status === 'PENDING' && t.ready !== null).map((t) => t.id);
  });
}
