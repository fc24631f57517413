import type { components } from './api-schema.js';

// The admin API's views, as the scheduler's OpenAPI document declares them (api-schema.ts is generated).
type S = components['schemas'];
export type Page<T> = { items: T[]; nextCursor: string | null };
export type GroupRun = S['GroupRun'];
export type GroupRunDetail = S['GroupRunDetail'];
export type TaskRun = S['TaskRun'];
export type TaskRunDetail = S['TaskRunDetail'];
export type TaskEvent = S['TaskEvent'];
export type TaskRunListed = S['TaskRunListed'];
export type Definition = S['Definition'];
export type DefinitionSpec = S['DefinitionSpec'];
export type DefinitionVersion = S['DefinitionVersion'];
export type DefinitionDiff = S['DefinitionDiff'];
export type Alert = S['Alert'];
export type Target = S['Target'];
export type TriggerRecord = S['TriggerRecord'];
export type Stats = S['Stats'];
export type AuditEvent = S['AuditEvent'];
export type Schedule = S['Schedule'];
export type ScheduleState = S['ScheduleState'];
export type SchedulePreview = S['SchedulePreview'];
export type Calendar = S['Calendar'];
export type CalendarPut = S['CalendarPut'];
export type DefinitionDependencies = S['DefinitionDependencies'];
export type Dependency = NonNullable<DefinitionSpec['dependsOn']>[number];
