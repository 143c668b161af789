/**
 * One registry of stable error codes (never reused, never renamed), in the manner of fastify's
 * `FST_ERR_*`. Each code says which side it blames and whether a retry can help.
 */
import { redact } from './redact.js'

/**
 * Which side of the migration an error belongs to.
 * @public
 */
export type ErrorSide = 'source' | 'target' | 'internal'

/** Side and retryability registered for a code. @public */
export interface ErrorCodeInfo {
  /** The side an error of this code blames unless the thrower says otherwise. */
  readonly side: ErrorSide
  /** Whether a retry can help, unless the thrower says otherwise. */
  readonly retryable: boolean
}

const code = (side: ErrorSide, retryable = false): ErrorCodeInfo => ({ side, retryable })

/**
 * Every error code pgferry can raise. Keys are stable; a code is never reused for another meaning.
 * @public
 */
export const ERROR_CODES = {
  // configuration
  PGFERRY_CONFIG_INVALID: code('internal'),
  PGFERRY_CONFIG_SECRET_MISSING: code('internal'),
  // connections (the side is set per instance)
  PGFERRY_CONNECT_UNREACHABLE: code('internal', true),
  PGFERRY_CONNECT_AUTH_FAILED: code('internal'),
  PGFERRY_CONNECT_DATABASE_MISSING: code('internal'),
  PGFERRY_CONNECT_SSL_REQUIRED: code('internal'),
  PGFERRY_CONNECT_SSL_UNVERIFIED: code('internal'),
  PGFERRY_CONNECT_PRIVILEGE: code('internal'),
  PGFERRY_CONNECT_FAILED: code('internal', true),
  PGFERRY_CONNECTION_LOST: code('internal', true),
  // task lifecycle
  PGFERRY_TASK_NOT_FOUND: code('internal'),
  PGFERRY_TASK_EXISTS: code('internal'),
  PGFERRY_TASK_STATE: code('internal'),
  PGFERRY_TASK_CLOSED: code('internal'),
  PGFERRY_TASK_PRECHECK_FAILED: code('internal'),
  PGFERRY_TASK_BUSY: code('internal', true),
  PGFERRY_TASK_LEASED: code('internal'),
  PGFERRY_TASK_LEASE_LOST: code('internal'),
  PGFERRY_TASK_NOT_RUNNING: code('internal'),
  // stages
  PGFERRY_STAGE_INVALID: code('internal'),
  PGFERRY_OPTIONS_INVALID: code('internal'),
  PGFERRY_STAGE_FAILED: code('internal'),
  PGFERRY_ABORTED: code('internal', true),
  // store
  PGFERRY_STORE_SCHEMA_VERSION: code('target'),
  PGFERRY_STORE_FAILED: code('target', true),
  PGFERRY_STORE_RECORD_INVALID: code('internal'),
  // precheck
  PGFERRY_PRECHECK_ITEM_UNKNOWN: code('internal'),
  // structure
  PGFERRY_SCHEMA_UNSUPPORTED: code('source'),
  PGFERRY_SCHEMA_CREATE_FAILED: code('target'),
  // full load
  PGFERRY_FULLLOAD_SNAPSHOT_LOST: code('source', true),
  PGFERRY_FULLLOAD_SLOT_BLOCKED: code('source', true),
  PGFERRY_FULLLOAD_COPY_FAILED: code('internal', true),
  PGFERRY_QUEUE_UNREACHABLE: code('internal', true),
  PGFERRY_QUEUE_JOB_FAILED: code('internal', true),
  PGFERRY_FULLLOAD_TABLE_DROPPED: code('source'),
  PGFERRY_FULLLOAD_TABLE_REWRITTEN: code('source', true),
  PGFERRY_SOURCE_NO_REPLICA_IDENTITY: code('source'),
  PGFERRY_PUBLICATION_INCOMPLETE: code('source'),
  // manifest (what the task migrates)
  PGFERRY_MANIFEST_RELATION_MISSING: code('source'),
  PGFERRY_MANIFEST_ADD_INVALID: code('internal'),
  // replication stream
  PGFERRY_WAL_PROTOCOL: code('source'),
  PGFERRY_WAL_UNKNOWN_MESSAGE: code('source'),
  PGFERRY_WAL_SLOT_MISSING: code('source'),
  PGFERRY_WAL_SLOT_LOST: code('source'),
  PGFERRY_WAL_SLOT_ACTIVE: code('source', true),
  PGFERRY_WAL_SPOOL_FAILED: code('internal'),
  PGFERRY_LSN_INVALID: code('internal'),
  // apply / complete / verify
  PGFERRY_APPLY_FAILED: code('target', true),
  PGFERRY_APPLY_ORIGINS_EXHAUSTED: code('target'),
  PGFERRY_DDL_DETECTED: code('source'),
  PGFERRY_COMPLETE_LAG: code('internal', true),
  PGFERRY_COMPLETE_RELATION_DROPPED: code('source'),
  PGFERRY_VERIFY_MISMATCH: code('internal'),
  PGFERRY_VERIFY_NOTHING_LOADED: code('internal'),
  PGFERRY_VERIFY_TABLE_UNKNOWN: code('internal'),
  PGFERRY_INTERNAL: code('internal'),
} as const satisfies Record<string, ErrorCodeInfo>

/**
 * Every warning code pgferry gives (a `warning` event's `code`), in the same registry and naming
 * scheme as {@link ERROR_CODES}: stable, never reused. The value says what the warning means. A
 * warning about what is also an error elsewhere (a relation dropped during the sync) uses the
 * error's code.
 * @public
 */
export const WARNING_CODES = {
  // structure
  PGFERRY_SCHEMA_OBJECT_EXISTS: 'an object already exists on the target; kept as it is',
  PGFERRY_SCHEMA_ROLE_MISSING: 'a role named by ownership or grants does not exist on the target',
  PGFERRY_SCHEMA_ROLE_PASSWORD: 'a role is created without its password (pg_authid unreadable)',
  PGFERRY_SCHEMA_MEMBERSHIP_SKIPPED: 'a role membership was not created',
  PGFERRY_SCHEMA_DEPENDENCY_CYCLE: 'a dependency cycle was broken',
  PGFERRY_SCHEMA_EXTENSION_VERSION: "an extension's source version is not available on the target",
  PGFERRY_SCHEMA_DATABASE_LOCALE: "a database was created without the source's locale",
  PGFERRY_SCHEMA_USER_MAPPING_OPTIONS: 'a user mapping was created without its options',
  PGFERRY_SCHEMA_UNSUPPORTED: 'an object pgferry does not migrate',
  // full load
  PGFERRY_FULLLOAD_CHUNK_RETRY: 'a chunk copy failed and is retried',
  PGFERRY_FULLLOAD_FULL_ONLY: 'a table is copied by the full load only',
  PGFERRY_FULLLOAD_LARGE_OBJECT: "a large object's owner or grantee is missing on the target",
  PGFERRY_FULLLOAD_NEW_SNAPSHOT:
    'tables are copied under a later snapshot than the finished ones (an interrupted load, or tables added to the task)',
  PGFERRY_FULLLOAD_NOT_MIGRATED: 'a relation created since the manifest was resolved is left out',
  PGFERRY_FULLLOAD_NOT_SPLIT: 'a large table is copied in one piece',
  PGFERRY_FULLLOAD_REPLICA_IDENTITY_SET: 'REPLICA IDENTITY FULL was set on a source table',
  PGFERRY_FULLLOAD_REPLICA_ROLE: 'target triggers fire during the load',
  PGFERRY_FULLLOAD_SLOT_LOST: 'the slot of an interrupted load is gone; the load starts again',
  PGFERRY_FULLLOAD_SLOT_ORPHANED: 'a slot left by a stopped run is dropped and made again',
  PGFERRY_FULLLOAD_TABLE_REWRITTEN: 'a table was rewritten during the load and is copied again',
  PGFERRY_POSTDATA_EXISTS: 'a post-data object already exists on the target',
  // incremental sync
  PGFERRY_APPLY_EAGER_FALLBACK:
    'a large transaction is applied at its commit instead of while it streams',
  PGFERRY_APPLY_NEW_TABLE: 'a table created on the source after the full load is not replicated',
  PGFERRY_APPLY_PROGRESS_TABLE: 'the apply progress table could not be used',
  PGFERRY_APPLY_REPLICA_ROLE: 'target triggers and FK checks fire on replicated changes',
  PGFERRY_WAL_RETAINED_HIGH: 'the replication slot holds back more WAL than the threshold',
  // complete
  PGFERRY_COMPLETE_LARGE_OBJECT: "a large object's owner or grantee is missing on the target",
  PGFERRY_COMPLETE_NOT_MIGRATED: 'a relation created after the full load is left out',
  PGFERRY_COMPLETE_RELATION_DROPPED: 'a relation dropped during the sync is left out',
  // task
  PGFERRY_TASK_LEASE_LOST: 'another process took the task over; this one stops',
} as const satisfies Record<string, string>

/**
 * A stable warning code, `PGFERRY_<AREA>_<WHAT>`.
 * @public
 */
export type WarningCode = keyof typeof WARNING_CODES

/**
 * A stable error code, `PGFERRY_<AREA>_<WHAT>`.
 * @public
 */
export type ErrorCode = keyof typeof ERROR_CODES

/**
 * Options for {@link PgferryError}.
 * @public
 */
export interface PgferryErrorOptions {
  /** Which side is at fault. Defaults to the code's registered side. */
  readonly side?: ErrorSide
  /** Whether retrying the same call can succeed. Defaults to the code's registered value. */
  readonly retryable?: boolean
  /** The underlying error (a server error keeps its SQLSTATE in `cause.code`). */
  readonly cause?: unknown
  /** What the caller should do about it: SQL to run, a setting to change. */
  readonly fix?: string
  /**
   * The fix for a person at the `pgferry` command line, where `fix` names a library call or a
   * config field: the command or flag to use instead. `<task id>` stands for the task's id.
   */
  readonly cliFix?: string
  /** The stage that failed, when the error crossed the stage runner. */
  readonly stage?: string
}

/**
 * The one error class pgferry throws. Messages never contain a password or a full connection
 * string.
 * @public
 */
export class PgferryError extends Error {
  /** Always `'PgferryError'`. */
  override readonly name = 'PgferryError'
  /** The stable code, a key of {@link ERROR_CODES}. */
  readonly code: ErrorCode
  /** Which side is at fault: the option given, else the code's registered side. */
  readonly side: ErrorSide
  /**
   * Whether retrying the same call can succeed: the option given, else the code's registered value.
   */
  readonly retryable: boolean
  /**
   * What to do about it (SQL to run, a setting to change), passwords redacted; undefined when none
   * is known.
   */
  readonly fix: string | undefined
  /**
   * The fix in the words of the `pgferry` command line (a command or flag), when `fix` names a
   * library call; undefined when `fix` serves both. Passwords redacted.
   */
  readonly cliFix: string | undefined
  /** The stage that failed; set when the error crossed the stage runner, else undefined. */
  readonly stage: string | undefined
  /** SQLSTATE of the underlying server error, when there is one. */
  readonly sqlState: string | undefined

  /**
   * @param code - the stable code; its registered side and retryability are the defaults
   * @param message - what happened; passwords and connection strings in it are redacted
   * @param options - side, retryable, cause, fix, cliFix and stage
   */
  constructor(code: ErrorCode, message: string, options: PgferryErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause })
    const info = ERROR_CODES[code]
    this.code = code
    this.side = options.side ?? info.side
    this.retryable = options.retryable ?? info.retryable
    this.fix = options.fix === undefined ? undefined : redact(options.fix)
    this.cliFix = options.cliFix === undefined ? undefined : redact(options.cliFix)
    this.stage = options.stage
    this.sqlState =
      sqlStateOf(options.cause) ??
      (options.cause instanceof PgferryError ? options.cause.sqlState : undefined)
  }

  /**
   * The error as plain JSON (an Error's own `message` and `name` are not enumerable, so
   * `JSON.stringify` of an `error` event would otherwise lose them).
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      side: this.side,
      retryable: this.retryable,
      fix: this.fix,
      ...(this.cliFix === undefined ? {} : { cliFix: this.cliFix }),
      stage: this.stage,
      sqlState: this.sqlState,
    }
  }
}

/** SQLSTATE of a `pg` DatabaseError (a 5-character `code`), else undefined. */
export function sqlStateOf(error: unknown): string | undefined {
  const c = (error as { code?: unknown } | null | undefined)?.code
  return typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c) ? c : undefined
}

/** True when `error` is a {@link PgferryError}, optionally with the given code. */
export function isPgferryError(error: unknown, code?: ErrorCode): error is PgferryError {
  return error instanceof PgferryError && (code === undefined || error.code === code)
}

/** The message of anything thrown, redacted. */
export function messageOf(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error))
}
