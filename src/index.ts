/**
 * pgferry: migrate a PostgreSQL instance into another, online, from inside a Node process.
 *
 * @packageDocumentation
 */
export {
  createTask,
  openTask,
  listTasks,
  getTask,
  deleteTask,
  pgStore,
  taskStatus,
  taskEvents,
} from './task/create-task.js'
export type { TaskStatusReport, TaskRunner } from './task/task-report.js'
export type { TaskWorker, TaskWorkerJob } from './task/task-workers.js'
export type { TableProgress } from './task/table-progress.js'
export type { StoreLocator, OpenTaskOptions } from './task/create-task.js'
export { pauseTask } from './task/pause-task.js'
export type { PauseOptions, PauseResult } from './task/pause-task.js'
export { taskSlots } from './task/task-slots.js'
export type { TaskSlot } from './task/task-slots.js'
export {
  precheck,
  migrateSchema,
  fullLoad,
  startIncremental,
  complete,
  verify,
} from './task/stage-functions.js'
export { Task } from './task/task.js'
export { startWorker, Worker } from './task/start-worker.js'
export type { WorkerOptions } from './task/start-worker.js'
export { DEFAULT_JOB_TIMEOUT_SECONDS } from './model/workers.js'
export type {
  WorkersConfig,
  ResolvedWorkers,
  StoreAddress,
  QueuedJob,
  QueuedJobBase,
  QueuedChunk,
  QueuedStep,
  QueuedJobOutput,
  WorkerJobEvent,
  WorkerIdentity,
  WorkerJobRef,
  WorkerBeat,
} from './model/workers.js'
export type { RunResult } from './task/task.js'
export type { StageOptions, StageResults } from './task/builtin-stages.js'
export type {
  TaskConfig,
  MigrationType,
  ConnectionConfig,
  ConnectionInput,
  ObjectsInput,
  ObjectSelection,
  DatabaseSelection,
  SchemaSelection,
  StoreInput,
  Ownership,
  ReplicaIdentityPolicy,
  ThrottleConfig,
} from './model/task-config.js'
export {
  DEFAULT_PORT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_APPLICATION_NAME,
} from './model/resolved-connection.js'
export type { ResolvedConnection, SslMode } from './model/resolved-connection.js'
export {
  MIGRATION_TYPES,
  DEFAULT_OWNERSHIP,
  DEFAULT_REPLICA_IDENTITY,
  DEFAULT_SPLIT_TABLES_LARGER_THAN,
  DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX,
} from './model/resolved-config.js'
export type { ResolvedTaskConfig } from './model/resolved-config.js'
export type { ResolvedObjects, ResolvedDatabase, ResolvedSchema } from './model/resolved-objects.js'
export type { ReopenOptions } from './task/stored-config.js'
export { TASK_TRANSITIONS } from './model/task-state.js'
export type { TaskState } from './model/task-state.js'
export { PgferryError, ERROR_CODES, WARNING_CODES } from './errors.js'
export type {
  ErrorCode,
  ErrorCodeInfo,
  ErrorSide,
  PgferryErrorOptions,
  WarningCode,
} from './errors.js'
export type * from './model/events.js'
export type {
  Stage,
  StageContext,
  StageCallOptions,
  StageKind,
  StageState,
  GateResult,
  AnyStageOptions,
  ConnectOptions,
  Side,
  StageClient,
  StageQueryResult,
} from './model/stage-contract.js'
export { BUILTIN_STAGE_NAMES } from './task/builtin-stage-names.js'
export { STAGE_KINDS, STAGE_STATES } from './model/stage-contract.js'
export type { BuiltinStageName } from './task/builtin-stage-names.js'
export type {
  ProgressStore,
  TaskRecord,
  TaskPatch,
  ProgressEntry,
  StoredEvent,
} from './model/progress-store.js'
export type {
  TaskLease,
  LeaseClaim,
  LeaseAcquireOptions,
  LeaseAcquireResult,
  LeaseOptions,
  LiveFigures,
  LiveTableCopy,
  PauseRequest,
} from './model/lease.js'
export { DEFAULT_LEASE_BEAT_MS, DEFAULT_LEASE_STALE_MS } from './model/lease.js'
export { MemoryStore } from './store/memory-store.js'
export { PgStore } from './store/pg-store.js'
export { DEFAULT_STORE_SCHEMA } from './model/store-schema.js'
export type { PgStoreOptions } from './store/pg-store.js'
export type { TargetLedger } from './model/target-ledger.js'
export type {
  PrecheckReport,
  PrecheckItem,
  PrecheckStatus,
  PrecheckOptions,
} from './precheck/precheck-report.js'
export type { SchemaResult } from './schema/schema-result.js'
export type { FullLoadResult } from './fullload/full-load-result.js'
export type { IncrementalSync } from './apply/incremental-sync.js'
export type { IncrementalOptions } from './apply/apply-options.js'
export type { TableRef } from './model/manifest.js'
export type { LagSample } from './apply/database-apply.js'
export type { FullLoadOptions } from './fullload/full-load-stage.js'
export type { CompleteOptions, CompleteResult } from './complete/complete-result.js'
export type { CompleteVerifyMode } from './verify/cutover-check.js'
export type {
  VerifyMode,
  VerifyOptions,
  VerifyRow,
  VerifyDifference,
  TableVerifyReport,
  VerifyReport,
} from './verify/verify-report.js'

// precheck
export {
  PRECHECK_ITEM_IDS,
  DEFAULT_LONG_TRANSACTION_SECONDS,
  DEFAULT_MAX_TRANSFER_SECONDS,
  FREE_SPACE_FACTOR,
} from './precheck/precheck-items.js'
export type { PrecheckItemId } from './precheck/precheck-items.js'
export type { PrecheckFix } from './precheck/precheck-report.js'
export { SUPPORTED_MAJORS } from './precheck/version.js'

// LSNs, as lag samples and events show them
export { parseLsn, formatLsn, compareLsn, LSN_ZERO } from './wal/lsn.js'
export type { LsnString } from './wal/lsn.js'
