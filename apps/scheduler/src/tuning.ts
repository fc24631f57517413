/**
 * Every number the scheduler's speed work depends on, each with the reason for its value. They are
 * not part of the domain: the state machine and the flow are correct with any positive value here,
 * only slower or hungrier. Tests may shrink them (`SchedulerConfig.tuning`) to reach an edge quickly.
 */
export interface Tuning {
  /**
   * Live task rows an engine keeps as it last committed or read them, so a task's next command (its
   * callback after its claim) needs no read. A row is never trusted alone: every write checks its version.
   */
  taskCacheRows: number;
  /** Group run specs kept (they never change after creation): a batch of moves reads none for known groups. */
  groupSpecCacheRuns: number;
  /** How long a definition's paused flag is trusted, so claims do not read the definition per task. */
  pausedFlagMs: number;
  /**
   * How long the definitions bound to a (source, event) are trusted, so the intake does not read them per
   * message (DefinitionBindings); `bindingsKept` bounds the (source, event) pairs kept.
   */
  bindingsTrustMs: number;
  bindingsKept: number;
  /**
   * How long the set of definitions that have dependants is trusted: a run of any other definition succeeding
   * reads nothing for dependants (a dependency saved meanwhile on another instance is the dependency sweep's).
   */
  upstreamsTrustMs: number;
  /**
   * ASYNC group runs created here with at most this many tasks keep their ready ids, so the group job's
   * first run claims them without a read; `createdReadyIds` bounds the ids kept over all such runs
   * (with several instances, most group jobs run elsewhere and never take theirs).
   */
  createdReadyMaxTasks: number;
  createdReadyIds: number;
  /** Task moves gather this long before their groups are recounted: one pass covers every group touched. */
  groupRecountDelayMs: number;
  /** Groups recounted per transaction. */
  groupRecountBatch: number;
  /** A lost version race reruns the batch on fresh rows, at most this many times. */
  lostRaceRounds: number;
  /** A group job claims its ready tasks in chunks of this many (one batch each). */
  groupClaimChunk: number;
  /**
   * Up to this many claims of one group join the engine's shared micro-batches (other groups' claims and
   * the callbacks of the moment) instead of a commit of their own.
   */
  sharedClaimsMax: number;
  /** Task moves per micro-batch (one statement on PostgreSQL). */
  engineBatchMax: number;
  /** Jobs per BullMQ addBulk call. */
  queueBulkAdd: number;
  /**
   * Task ids whose round this instance queued, so a finished task's round is dropped here; forgetting one
   * only means its round finds the task finished and ends by itself.
   */
  queuedIdsKept: number;
  /** On PostgreSQL a matched trigger with up to this many tasks is written by one statement (no BEGIN/COMMIT). */
  triggerStatementMaxTasks: number;
  /**
   * Triggers with up to this many tasks that arrive together share one statement (group commit: one round trip and
   * one WAL flush for many small triggers); bigger ones have a statement each.
   */
  triggerSharedMaxTasks: number;
  /** Rows per INSERT on the TypeORM path (SQLite's and Oracle's bind-variable limits). */
  ormInsertChunk: number;
  /** Rows per set-based INSERT on PostgreSQL (array parameters). */
  pgInsertChunk: number;
  /**
   * A breaker seen closed with no failures is trusted this long without asking Redis, so another
   * instance's failures open it here at most this much later (its own failures, at once).
   */
  breakerTrustMs: number;
  /** Tasks whose trace id is kept for their state-move log lines (tracing on). */
  tracedTasks: number;
  /** Keep-alive connections per downstream origin. */
  downstreamConnections: number;
  /**
   * Sync requests in flight at once per instance, over all group jobs (each sends up to `concurrency` at once, so
   * `concurrency` jobs of 100 tasks had 25,600 in flight, ~6 KB each, nearly all queued in the HTTP client for one
   * of the origin's connections: 150 MB). 4,096 (24 MB) keeps many origins' connections busy; 1,024 cost big runs
   * about 7% more CPU per task (fewer callbacks per batch).
   */
  sendsInFlight: number;
  /**
   * ASYNC runs created here with at most this many tasks are dispatched at once by this instance, without a group
   * job (DirectStart); their poll job is added `directArmAfterMs` later, only for runs still live by then.
   */
  directStartMaxTasks: number;
  directArmAfterMs: number;
  /** The reconciler leaves tasks that moved this recently alone: their group job may still be queueing them. */
  reconcileGraceMs: number;
  /** Tasks one overdue batch moves. */
  maintenanceChunk: number;
  /** Runs the overdue sweep takes per pass (the rest next pass): a backlog never makes one pass unbounded. */
  overdueGroupsPerPass: number;
  overdueTasksPerPass: number;
  /** Trigger messages from the queue handled at once per instance (each is a database write). */
  triggerQueueConcurrency: number;
}

export const DEFAULT_TUNING: Readonly<Tuning> = Object.freeze({
  taskCacheRows: 20_000,
  groupSpecCacheRuns: 20_000,
  pausedFlagMs: 1000,
  bindingsTrustMs: 1000,
  bindingsKept: 10_000,
  upstreamsTrustMs: 2000,
  createdReadyMaxTasks: 1000,
  createdReadyIds: 20_000,
  groupRecountDelayMs: 50,
  groupRecountBatch: 200,
  lostRaceRounds: 8,
  groupClaimChunk: 500,
  sharedClaimsMax: 20,
  engineBatchMax: 500,
  queueBulkAdd: 1000,
  queuedIdsKept: 200_000,
  triggerStatementMaxTasks: 5000,
  triggerSharedMaxTasks: 20,
  ormInsertChunk: 200,
  pgInsertChunk: 5000,
  breakerTrustMs: 200,
  tracedTasks: 50_000,
  downstreamConnections: 64,
  sendsInFlight: 4096,
  directStartMaxTasks: 20,
  directArmAfterMs: 1000,
  reconcileGraceMs: 5000,
  maintenanceChunk: 500,
  overdueGroupsPerPass: 1000,
  overdueTasksPerPass: 5000,
  triggerQueueConcurrency: 8,
});
