/**
 * Limits of one apply transaction. Consecutive source transactions share a target transaction (one
 * commit, one progress record) until one limit is reached; a quiet stream commits at once.
 */
import { PgferryError } from '../errors.js'
import { DEFAULT_RECEIVE_TIMEOUT_MS } from '../wal/receive-watchdog.js'
import type { TableRef } from '../model/manifest.js'

/** Source rows per target transaction. */
export const DEFAULT_BATCH_ROWS = 20_000
/** Source transactions per target transaction. */
export const DEFAULT_BATCH_TRANSACTIONS = 1000
/** Milliseconds a target transaction may stay open while source transactions keep coming. */
export const DEFAULT_BATCH_MS = 200
/** Commit the open target transaction when no source transaction follows within this time. */
export const DEFAULT_IDLE_COMMIT_MS = 5
/** Interval of `wal:lag` events. */
export const DEFAULT_LAG_INTERVAL_MS = 1000
/** Interval of the check for tables created on the source that the publication does not carry. */
export const DEFAULT_NEW_TABLE_CHECK_MS = 30_000

/**
 * Options of `startIncremental`, beyond the signal.
 * @public
 */
export interface IncrementalOptions {
  /**
   * Aborting stops the sync, also after it started (what is complete is committed; the slots stay).
   */
  readonly signal?: AbortSignal
  /** Source rows per target transaction. Defaults to 20 000. */
  readonly batchRows?: number
  /** Milliseconds a target transaction may stay open while changes keep coming. Defaults to 200. */
  readonly batchMs?: number
  /** Interval of `wal:lag` events. Defaults to 1000 ms. */
  readonly lagIntervalMs?: number
  /** How often to look for tables created on the source since the load. Defaults to 30 000 ms. */
  readonly newTableCheckMs?: number
  /**
   * Bytes of WAL a slot may hold back on the source before a `PGFERRY_WAL_RETAINED_HIGH` warning.
   * Defaults to 10 % of the source's `max_slot_wal_keep_size` where that is set, else 5 GiB.
   */
  readonly walRetainedWarnBytes?: number
  /**
   * Milliseconds without a byte on a replication connection before it is taken for dead, as
   * PostgreSQL's `wal_receiver_timeout`: a connection that goes silent without closing (a NAT entry
   * dropped, a network black hole, a host gone) is otherwise waited on forever. At half of it
   * pgferry asks the walsender for a reply, which a live one sends at once; at the full timeout the
   * sync fails with a retryable `PGFERRY_CONNECTION_LOST`. 0 disables it. Defaults to 60 000.
   */
  readonly receiveTimeoutMs?: number
  /**
   * Tables to add to what the task migrates before the stream starts, as `schema.table` (or
   * `database.schema.table` when the task migrates several databases; a part holding a dot in
   * double quotes) or `{ schema, name }` objects ({@link TableRef}): typically tables created
   * on the source during the sync, which are otherwise left out. Each is created on the target,
   * copied as of a consistent point, and its changes streamed from then on. The sync must be
   * stopped first (`sync.stop()`). Defaults to none.
   */
  readonly addTables?: readonly TableRef[]
}

/** The options resolved. */
export interface ResolvedApplyOptions {
  readonly batchRows: number
  readonly batchTransactions: number
  readonly batchMs: number
  readonly idleCommitMs: number
  readonly lagIntervalMs: number
  readonly newTableCheckMs: number
  /** Undefined: from the source's `max_slot_wal_keep_size` (wal-retention.ts). */
  readonly walRetainedWarnBytes: number | undefined
  /** 0: no receive timeout. */
  readonly receiveTimeoutMs: number
}

/**
 * Resolve `startIncremental`'s options. A value given but invalid throws PGFERRY_OPTIONS_INVALID
 * (as `resolveConfig` does for the config): a typo must not silently run with the default.
 */
export function resolveApplyOptions(options: IncrementalOptions): ResolvedApplyOptions {
  return {
    batchRows: option(options, 'batchRows', positive, DEFAULT_BATCH_ROWS, true),
    batchTransactions: DEFAULT_BATCH_TRANSACTIONS,
    batchMs: option(options, 'batchMs', positive, DEFAULT_BATCH_MS),
    idleCommitMs: DEFAULT_IDLE_COMMIT_MS,
    lagIntervalMs: option(options, 'lagIntervalMs', positive, DEFAULT_LAG_INTERVAL_MS),
    newTableCheckMs: option(options, 'newTableCheckMs', positive, DEFAULT_NEW_TABLE_CHECK_MS),
    walRetainedWarnBytes: option(options, 'walRetainedWarnBytes', nonNegative, undefined),
    receiveTimeoutMs: option(options, 'receiveTimeoutMs', nonNegative, DEFAULT_RECEIVE_TIMEOUT_MS),
  }
}

type NumericOption = Exclude<keyof IncrementalOptions, 'signal'>

/** What a numeric option must be, in the words of the fix. */
interface Rule {
  readonly test: (v: number) => boolean
  readonly words: string
}

const positive: Rule = { test: (v) => v > 0, words: 'a finite number greater than 0' }
const nonNegative: Rule = { test: (v) => v >= 0, words: 'a finite number, 0 or more' }

function option<D extends number | undefined>(
  options: IncrementalOptions,
  key: NumericOption,
  rule: Rule,
  fallback: D,
  whole = false,
): number | D {
  const v: unknown = options[key]
  if (v === undefined) return fallback
  if (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    rule.test(v) &&
    (!whole || Number.isInteger(v))
  )
    return v
  const shown = typeof v === 'string' ? `'${v}'` : String(v)
  throw new PgferryError(
    'PGFERRY_OPTIONS_INVALID',
    `startIncremental({ ${key} }): ${shown} is not ${whole ? `a whole number greater than 0` : rule.words}`,
    {
      fix: `pass ${whole ? 'a whole number greater than 0' : rule.words}, or leave it out for the default${fallback === undefined ? '' : ` (${fallback})`}`,
    },
  )
}
