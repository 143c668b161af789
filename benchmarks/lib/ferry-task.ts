/**
 * A pgferry task taken through precheck, schema, full load and into incremental sync, the way the
 * apply benchmarks need it: every table of one source database, into the database of the same name
 * on the target.
 */
import { createTask, type IncrementalSync, type Task } from '../../src/index.js'
import type { Cluster } from '../../test/harness/cluster.js'
import { passPrecheck } from '../../test/harness/pass-precheck.js'

export interface RunningFerry {
  readonly task: Task
  readonly sync: IncrementalSync
  /** The task's slot for `db` on the source (found by database, not by pgferry's naming). */
  readonly slotName: string
}

export async function startFerry(
  source: Cluster,
  target: Cluster,
  db: string,
): Promise<RunningFerry> {
  const task = await createTask({
    name: `bench-${db}`,
    source: source.config(db),
    target: target.config('postgres'),
    type: 'full+incremental',
    objects: { databases: { [db]: true } },
  })
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    await task.fullLoad()
    const sync = await task.startIncremental()
    const r = await source.query<{ slot_name: string }>(
      `SELECT slot_name FROM pg_replication_slots WHERE database = $1 AND slot_type = 'logical' AND slot_name NOT LIKE 'native%'`,
      [db],
    )
    const slotName = r.rows[0]?.slot_name
    if (slotName === undefined) throw new Error(`no pgferry slot found for database ${db}`)
    return { task, sync, slotName }
  } catch (error) {
    await task.close()
    throw error
  }
}
