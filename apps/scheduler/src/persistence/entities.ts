import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TriggerAnswer } from '#ferry/contracts';
import type { PayloadSummary } from '../triggers/payload-summary.js';
import { TASK_ROW, type TaskRow } from '../tasks/task-row.js';
import { COLUMN_OPTIONS, describedEntity } from './described-entity.js';
import { AuditEventEntity, OperatorSessionEntity, OperatorUserEntity } from './portal-entities.js';
export { AuditEventEntity, OperatorSessionEntity, OperatorUserEntity } from './portal-entities.js';
import { CalendarEntity, ScheduleEntity } from './schedule-entities.js';
export { CalendarEntity, ScheduleEntity } from './schedule-entities.js';
import { DependencyEntity, DependencyWaitEntity } from './dependency-entities.js';
export { DependencyEntity, DependencyWaitEntity } from './dependency-entities.js';

// Portable column types only: varchar, integer, numeric(19,0) and simple-json (TEXT, or CLOB on Oracle).
const ms = COLUMN_OPTIONS.ms;
const json = COLUMN_OPTIONS.json;

@Entity('definition')
export class DefinitionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 100 }) name: string;
  @Column({ type: 'integer' }) enabled: number;
  @Column({ type: 'integer' }) version: number;
  @Column(json) spec: unknown;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
  @Column({ name: 'updated_at', ...ms }) updatedAt: number;
  /** Archived definitions match no trigger and leave the default list; they are never deleted. */
  @Column({ name: 'archived_at', ...ms, nullable: true }) archivedAt: number | null;
}

/** Every version of a definition's spec, as it was stored (the current one included). */
@Entity('definition_version')
export class DefinitionVersionEntity {
  @PrimaryColumn({ name: 'definition_id', type: 'varchar', length: 36 }) definitionId: string;
  @PrimaryColumn({ type: 'integer' }) version: number;
  @Column(json) spec: unknown;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
}

@Entity('definition_binding')
export class BindingEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'definition_id', type: 'varchar', length: 36 }) definitionId: string;
  @Column({ type: 'varchar', length: 200 }) source: string;
  @Column({ name: 'event_name', type: 'varchar', length: 200 }) event: string;
}

@Entity('auth_profile')
export class AuthProfileEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 }) name: string;
  @Column(json) spec: unknown;
  /** Write-only signing material; never leaves the scheduler. */
  @Column({ name: 'secret_material', ...json }) secret: string;
  @Column({ type: 'integer' }) version: number;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
  @Column({ name: 'updated_at', ...ms }) updatedAt: number;
}

@Entity('trigger_message')
export class TriggerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) source: string | null;
  @Column({ name: 'message_id', type: 'varchar', length: 200, nullable: true }) messageId: string | null;
  @Column({ name: 'event_name', type: 'varchar', length: 200, nullable: true }) event: string | null;
  @Column({ name: 'business_date', type: 'varchar', length: 10, nullable: true }) businessDate: string | null;
  @Column({ type: 'varchar', length: 12 }) status: string;
  @Column({ type: 'varchar', length: 2000, nullable: true }) reason: string | null;
  @Column({ type: 'varchar', length: 8 }) via: string;
  @Column(json) payload: unknown;
  @Column({ ...json, nullable: true }) answer: unknown;
  @Column({ name: 'received_at', ...ms }) receivedAt: number;
  /** What lists show of the payload; null on triggers written before it existed (summarised when read). */
  @Column({ name: 'payload_summary', ...json, nullable: true }) payloadSummary: PayloadSummary | null;
  /** An UNMATCHED or REJECTED trigger matched again by an operator: when, and the replay's answer. */
  @Column({ name: 'replayed_at', ...ms, nullable: true }) replayedAt: number | null;
  @Column({ name: 'replay_answer', ...json, nullable: true }) replayAnswer: TriggerAnswer | null;
}

@Entity('group_run')
export class GroupRunEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'trigger_id', type: 'varchar', length: 36, nullable: true }) triggerId: string | null;
  @Column({ name: 'definition_id', type: 'varchar', length: 36 }) definitionId: string;
  @Column({ name: 'definition_name', type: 'varchar', length: 100 }) definitionName: string;
  @Column({ name: 'run_mode', type: 'varchar', length: 5 }) runMode: string;
  @Column({ type: 'varchar', length: 12 }) status: string;
  @Column({ name: 'business_date', type: 'varchar', length: 10, nullable: true }) businessDate: string | null;
  /** The definition as it was when the run began: later edits do not change a running run. */
  @Column(json) spec: unknown;
  @Column({ name: 'tasks_total', type: 'integer' }) tasksTotal: number;
  @Column({ name: 'tasks_succeeded', type: 'integer' }) tasksSucceeded: number;
  @Column({ name: 'tasks_failed', type: 'integer' }) tasksFailed: number;
  @Column({ name: 'tasks_cancelled', type: 'integer' }) tasksCancelled: number;
  @Column({ name: 'tasks_skipped', type: 'integer' }) tasksSkipped: number;
  @Column({ name: 'deadline_at', ...ms, nullable: true }) deadlineAt: number | null;
  @Column({ type: 'integer' }) overdue: number;
  @Column({ type: 'integer' }) version: number;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
  @Column({ name: 'updated_at', ...ms }) updatedAt: number;
  @Column({ name: 'finished_at', ...ms, nullable: true }) finishedAt: number | null;
}

/** task_run: its columns come from the task row's description (tasks/task-row.ts). */
export const TaskRunEntity = describedEntity('TaskRunEntity', 'task_run', TASK_ROW);
export type TaskRunEntity = TaskRow;

@Entity('task_event')
export class TaskEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'task_run_id', type: 'varchar', length: 36 }) taskRunId: string;
  @Column({ name: 'from_status', type: 'varchar', length: 12, nullable: true }) fromStatus: string | null;
  @Column({ name: 'to_status', type: 'varchar', length: 12 }) toStatus: string;
  @Column({ type: 'varchar', length: 12 }) actor: string;
  @Column({ type: 'varchar', length: 40, nullable: true }) reason: string | null;
  @Column({ name: 'dispatch_id', type: 'varchar', length: 36, nullable: true }) dispatchId: string | null;
  @Column({ ...json, nullable: true }) detail: unknown;
  @Column({ ...ms }) at: number;
}

/** One alert per (run, kind) (`dedupKey`); raising it again counts an occurrence. */
@Entity('alert')
export class AlertEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'dedup_key', type: 'varchar', length: 120 }) dedupKey: string;
  @Column({ type: 'varchar', length: 30 }) kind: string;
  @Column({ type: 'varchar', length: 12 }) status: string;
  @Column({ name: 'group_run_id', type: 'varchar', length: 36, nullable: true }) groupRunId: string | null;
  @Column({ name: 'trigger_id', type: 'varchar', length: 36, nullable: true }) triggerId: string | null;
  @Column({ name: 'task_run_id', type: 'varchar', length: 36, nullable: true }) taskRunId: string | null;
  @Column({ name: 'definition_id', type: 'varchar', length: 36, nullable: true }) definitionId: string | null;
  @Column({ name: 'definition_name', type: 'varchar', length: 100, nullable: true }) definitionName: string | null;
  @Column({ type: 'varchar', length: 2000 }) message: string;
  @Column({ ...json, nullable: true }) detail: unknown;
  @Column({ type: 'integer' }) occurrences: number;
  @Column({ name: 'first_at', ...ms }) firstAt: number;
  @Column({ name: 'last_at', ...ms }) lastAt: number;
  @Column({ name: 'notified_at', ...ms, nullable: true }) notifiedAt: number | null;
  @Column({ name: 'acked_at', ...ms, nullable: true }) ackedAt: number | null;
  @Column({ name: 'acked_by', type: 'varchar', length: 200, nullable: true }) ackedBy: string | null;
  @Column({ name: 'resolved_at', ...ms, nullable: true }) resolvedAt: number | null;
  @Column({ type: 'integer' }) version: number;
  /** Until then raising it again notifies no one; with the operators' comments (silence, un-acknowledge). */
  @Column({ name: 'silenced_until', ...ms, nullable: true }) silencedUntil: number | null;
  @Column({ ...json, nullable: true }) comments: StoredAlertComment[] | null;
}

export interface StoredAlertComment {
  action: 'ACK' | 'SILENCE' | 'UNACK';
  text: string;
  by: string;
  at: number;
}

export const SCHEDULER_ENTITIES = [
  DefinitionEntity,
  DefinitionVersionEntity,
  BindingEntity,
  AuthProfileEntity,
  TriggerEntity,
  GroupRunEntity,
  TaskRunEntity,
  TaskEventEntity,
  AlertEntity,
  OperatorUserEntity,
  OperatorSessionEntity,
  AuditEventEntity,
  ScheduleEntity,
  CalendarEntity,
  DependencyEntity,
  DependencyWaitEntity,
];
