import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { COLUMN_OPTIONS } from './described-entity.js';

// Time triggers' tables (migration 1770000000000-schedules.ts).
const ms = COLUMN_OPTIONS.ms;
const json = COLUMN_OPTIONS.json;

/**
 * A scheduled definition's clock, the system of record for when it fires next. Every instance reads the
 * due rows; the one whose conditional update (`version`) wins writes the fire's trigger in that transaction.
 */
@Entity('definition_schedule')
export class ScheduleEntity {
  @PrimaryColumn({ name: 'definition_id', type: 'varchar', length: 36 }) definitionId: string;
  /** The next fire time not yet handled; null: the schedule has no fire left (or the definition lost its schedule). */
  @Index('ix_schedule_next') @Column({ name: 'next_fire_at', ...ms, nullable: true }) nextFireAt: number | null;
  /** Paused by an operator: fires due meanwhile are misfires when it resumes. */
  @Column({ name: 'paused_at', ...ms, nullable: true }) pausedAt: number | null;
  @Column({ name: 'last_fire_at', ...ms, nullable: true }) lastFireAt: number | null;
  /** Fires held QUEUED by the overlap policy until the definition's live run ends: their trigger ids, oldest first. */
  @Column({ ...json, nullable: true }) queued: string[] | null;
  /** The schedule's spec this row was computed from (JSON): a changed schedule starts again from now. */
  @Column({ name: 'spec_key', type: 'varchar', length: 1000 }) specKey: string;
  @Column({ type: 'integer' }) version: number;
  @Column({ name: 'updated_at', ...ms }) updatedAt: number;
}

/** A calendar a schedule excludes: holidays, business days, daily exclusion windows (CalendarSpec). */
@Entity('calendar')
export class CalendarEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 }) name: string;
  @Column(json) spec: unknown;
  @Column({ type: 'integer' }) version: number;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
  @Column({ name: 'updated_at', ...ms }) updatedAt: number;
}
