import { datasetSpecSchema } from '#ferry/datasets';
import {
  groupRunDetailSchema,
  groupRunPageSchema,
  groupRunSchema,
  manualRunAnswerSchema,
  manualRunSchema,
  statsSchema,
  taskEventSchema,
  taskRunDetailSchema,
  taskRunSchema,
  triggerRecordPageSchema,
  triggerRecordSchema,
} from './admin.js';
import {
  ackAlertSchema,
  definitionDiffSchema,
  definitionVersionPageSchema,
  definitionVersionSchema,
  markSucceededSchema,
  rerunSchema,
  silenceAlertSchema,
  taskRunListedPageSchema,
  taskRunListedSchema,
  taskRunPageSchema,
  unackAlertSchema,
} from './admin-operations.js';
import {
  alertDeliveryPageSchema,
  alertDeliveryViewSchema,
  alertPageSchema,
  alertViewSchema,
  targetPageSchema,
  targetViewSchema,
} from './alert.js';
import { callbackAnswerSchema, taskCallbackSchema } from './callback.js';
import {
  calendarPageSchema,
  calendarPutSchema,
  calendarSchema,
  schedulePreviewRequestSchema,
  schedulePreviewSchema,
} from './calendar.js';
import {
  announcementPageSchema,
  announcementViewSchema,
  callbackDeliveryPageSchema,
  callbackDeliveryViewSchema,
} from './delivery.js';
import { fileRefSchema, progressSchema, reconciliationSchema, reportedErrorSchema } from './common.js';
import { alertChannelSchema, authProfileSchema, definitionSpecSchema } from './definition.js';
import {
  authProfilePageSchema,
  authProfileViewSchema,
  definitionPageSchema,
  definitionSchema,
} from './definition-view.js';
import { errorBodySchema, errorDetailSchema } from './error.js';
import {
  auditEventPageSchema,
  auditEventSchema,
  loginSchema,
  newUserSchema,
  sessionSchema,
  userListSchema,
  userSchema,
  userUpdateSchema,
} from './portal.js';
import { datasetDefinitionSchema, fileManifestSchema, publishFileSchema, recordsPageSchema } from './provider.js';
import {
  rejectedRecordPageSchema,
  rejectedRecordSchema,
  syncJobAcceptedSchema,
  syncJobFileSchema,
  syncJobRequestSchema,
  syncJobViewSchema,
} from './sync-job.js';
import { definitionDependenciesSchema } from './dependency.js';
import { calendarSpecSchema, scheduleSchema, scheduleStateSchema } from './schedule.js';
import { triggerAnswerSchema, triggerGroupRunSummarySchema, triggerMessageSchema } from './trigger.js';

/**
 * The contract's schemas under the names an OpenAPI document gives them (`#/components/schemas/<name>`).
 * The objects are the very ones that validate requests at run time; wherever one of them sits inside
 * another, the document refers to it by name instead of repeating it.
 */
export const contractSchemas = {
  ErrorBody: errorBodySchema,
  ErrorDetail: errorDetailSchema,
  FileRef: fileRefSchema,
  Progress: progressSchema,
  Reconciliation: reconciliationSchema,
  ReportedError: reportedErrorSchema,
  // scheduler: intake and callbacks
  TriggerMessage: triggerMessageSchema,
  TriggerAnswer: triggerAnswerSchema,
  TriggerGroupRunSummary: triggerGroupRunSummarySchema,
  TaskCallback: taskCallbackSchema,
  CallbackAnswer: callbackAnswerSchema,
  // scheduler: admin
  DefinitionSpec: definitionSpecSchema,
  Definition: definitionSchema,
  DefinitionPage: definitionPageSchema,
  AlertChannel: alertChannelSchema,
  AuthProfileSpec: authProfileSchema,
  AuthProfile: authProfileViewSchema,
  AuthProfilePage: authProfilePageSchema,
  ManualRun: manualRunSchema,
  ManualRunAnswer: manualRunAnswerSchema,
  GroupRun: groupRunSchema,
  GroupRunDetail: groupRunDetailSchema,
  GroupRunPage: groupRunPageSchema,
  TaskRun: taskRunSchema,
  TaskRunDetail: taskRunDetailSchema,
  TaskEvent: taskEventSchema,
  TaskRunListed: taskRunListedSchema,
  TaskRunListedPage: taskRunListedPageSchema,
  TaskRunPage: taskRunPageSchema,
  MarkSucceeded: markSucceededSchema,
  Rerun: rerunSchema,
  SilenceAlert: silenceAlertSchema,
  UnackAlert: unackAlertSchema,
  AckAlert: ackAlertSchema,
  DefinitionVersion: definitionVersionSchema,
  DefinitionVersionPage: definitionVersionPageSchema,
  DefinitionDiff: definitionDiffSchema,
  DefinitionDependencies: definitionDependenciesSchema,
  TriggerRecord: triggerRecordSchema,
  TriggerRecordPage: triggerRecordPageSchema,
  Stats: statsSchema,
  Alert: alertViewSchema,
  AlertPage: alertPageSchema,
  AlertDelivery: alertDeliveryViewSchema,
  AlertDeliveryPage: alertDeliveryPageSchema,
  Target: targetViewSchema,
  TargetPage: targetPageSchema,
  // scheduler: time triggers
  Schedule: scheduleSchema,
  ScheduleState: scheduleStateSchema,
  CalendarSpec: calendarSpecSchema,
  CalendarPut: calendarPutSchema,
  Calendar: calendarSchema,
  CalendarPage: calendarPageSchema,
  SchedulePreviewRequest: schedulePreviewRequestSchema,
  SchedulePreview: schedulePreviewSchema,
  // scheduler: the operators' portal
  Login: loginSchema,
  Session: sessionSchema,
  User: userSchema,
  UserList: userListSchema,
  NewUser: newUserSchema,
  UserUpdate: userUpdateSchema,
  AuditEvent: auditEventSchema,
  AuditEventPage: auditEventPageSchema,
  // consumer
  SyncJobRequest: syncJobRequestSchema,
  SyncJobAccepted: syncJobAcceptedSchema,
  SyncJob: syncJobViewSchema,
  SyncJobFile: syncJobFileSchema,
  RejectedRecord: rejectedRecordSchema,
  RejectedRecordPage: rejectedRecordPageSchema,
  CallbackDelivery: callbackDeliveryViewSchema,
  CallbackDeliveryPage: callbackDeliveryPageSchema,
  // provider
  DatasetSpec: datasetSpecSchema,
  DatasetDefinition: datasetDefinitionSchema,
  PublishFileRequest: publishFileSchema,
  FileManifest: fileManifestSchema,
  RecordsPage: recordsPageSchema,
  Announcement: announcementViewSchema,
  AnnouncementPage: announcementPageSchema,
} as const;

export type ContractSchemaName = keyof typeof contractSchemas;
