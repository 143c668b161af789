/**
 * pgferry's internals, for its own benchmarks, tests and tools (`pgferry/internals`): the
 * replication stream and pgoutput decoder, and the full load's stored progress. Not the public
 * API: no stability promise, not in the API report; embedders use the root export.
 *
 * @packageDocumentation
 */
export { readLoadProgress } from './fullload/load-progress.js'
export { autoSplitSize } from './fullload/work-plan.js'
export type { LoadedDatabase, LoadedTable } from './fullload/load-progress.js'

// replication stream and pgoutput decoder
export { ReplicationStream } from './wal/replication-stream.js'
export type { ReplicationStreamOptions, ReplicationHandler } from './wal/replication-stream.js'
export type { ProtocolRequest, NegotiatedProtocol } from './wal/protocol-options.js'
export type { StreamSpoolOptions } from './wal/stream-spool.js'
export { PgoutputDecoder } from './wal/pgoutput-decoder.js'
export { RelationCache } from './wal/relation-cache.js'
export { MessageType, TupleKind, TupleData, timestampToDate } from './wal/pgoutput-messages.js'
export type {
  PgoutputMessage,
  RelationColumn,
  ReplicaIdentity,
  StreamableFields,
  BeginMessage,
  CommitMessage,
  OriginMessage,
  RelationMessage,
  TypeMessage,
  InsertMessage,
  UpdateMessage,
  DeleteMessage,
  TruncateMessage,
  LogicalMessage,
  StreamStartMessage,
  StreamStopMessage,
  StreamCommitMessage,
  StreamAbortMessage,
  BeginPrepareMessage,
  PrepareMessage,
  CommitPreparedMessage,
  RollbackPreparedMessage,
} from './wal/pgoutput-messages.js'
