/**
 * The replication slots a task holds on the source and the WAL each retains (ARCHITECTURE.md: a
 * paused task keeps its slot and reports the WAL it retains). Read from `pg_replication_slots`, so
 * it works from any process, with or without the task open; `pgferry status --source` shows it.
 */
import { readSlotsByPrefix } from '../catalog/slot-retention.js'
import { versionNum } from '../catalog/server-version.js'
import { slotPrefix } from '../fullload/snapshot.js'
import { openClient } from '../pg/connect.js'
import type { ConnectionInput } from '../model/task-config.js'
import { resolveConnection } from './resolve-connection.js'

/**
 * One replication slot of a task on the source.
 * @public
 */
export interface TaskSlot {
  /** The replication slot's name. */
  readonly slot: string
  /** The source database it streams. */
  readonly database: string
  /** A walsender is streaming from it now. */
  readonly active: boolean
  /** `pg_current_wal_lsn() - restart_lsn`: WAL the source keeps for it; undefined if unreserved. */
  readonly retainedBytes: bigint | undefined
  /**
   * `pg_current_wal_lsn() - confirmed_flush_lsn`: WAL the source wrote that the task has not yet
   * confirmed applied on the target (its lag in bytes); undefined before the slot is consistent.
   */
  readonly lagBytes: bigint | undefined
  /** v13+: `reserved`, `extended`, `unreserved` or `lost` (lost: the task must load again). */
  readonly walStatus: string | undefined
}

/**
 * The replication slots task `taskId` holds on `source`, with the WAL each retains. Empty once the
 * task is completed or deleted.
 * @public
 */
export async function taskSlots(
  taskId: string,
  options: { readonly source: ConnectionInput },
): Promise<TaskSlot[]> {
  const client = await openClient(resolveConnection(options.source, 'source'), 'source')
  try {
    return await readSlotsByPrefix(client, slotPrefix(taskId), await versionNum(client))
  } finally {
    await client.end().catch(() => undefined)
  }
}
