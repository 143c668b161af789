/**
 * The ids of every built-in precheck item, in report order. Ids are stable: callers skip items by
 * id and UIs key on them.
 */

/**
 * Every built-in precheck item id, in the order the report lists them.
 * @public
 */
export const PRECHECK_ITEM_IDS = [
  'source.connect',
  'target.connect',
  'target.version',
  'selection.objects-exist',
  'selection.dependencies',
  'source.replication-role',
  'source.privileges',
  'source.publication',
  'source.cutover-fence',
  'source.wal-level',
  'source.replication-capacity',
  'source.slot-settings',
  'source.open-transactions',
  'source.replica-identity',
  'source.unlogged-tables',
  'source.bandwidth',
  'target.extensions',
  'target.encoding',
  'target.settings',
  'target.free-space',
  'target.name-conflicts',
  'target.role-conflicts',
  'target.database-ownership',
  'target.worker-processes',
  'target.replication-origins',
] as const

/**
 * The id of a built-in precheck item.
 * @public
 */
export type PrecheckItemId = (typeof PRECHECK_ITEM_IDS)[number]

/** Default of `PrecheckOptions.longTransactionSeconds`. @public */
export const DEFAULT_LONG_TRANSACTION_SECONDS = 60

/** Free space the target needs, as a multiple of what is migrated (dead tuples from sync grow it). @public */
export const FREE_SPACE_FACTOR = 1.2

/**
 * Default of `PrecheckOptions.maxTransferSeconds`: an hour. The copy holds a snapshot on the source
 * from start to end (vacuum cannot remove rows dead since), and an incremental task's slot retains
 * the WAL written meanwhile; an hour of that is routine on a busy server, longer deserves a look.
 * @public
 */
export const DEFAULT_MAX_TRANSFER_SECONDS = 3600
