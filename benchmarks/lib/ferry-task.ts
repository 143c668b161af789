/**
 * A pgferry task taken through precheck, schema, full load and into incremental sync, the way the
 * apply benchmarks need it: every table of one source database, into the database of the same name
 * on the target.
 */
import type pg from 'pg'
import { createTask, type IncrementalSync, type Task } from '../../src/index.js'
import type { Cluster } from '../../test/harness/cluster.js'
import { passPrecheck } from '../../test/harness/pass-precheck.js'

export interface RunningFerry {
  readonly task: Task
  readonly sync: IncrementalSync
  /** The task's slot for `db` on the source (found by database, not by pgferry's naming). */
  readonly slotName: string
}

/**
 * The task for `db`, precheck passed, schema migrated and fully loaded: ready for
 * `startIncremental`. Takes plain client configs so that a child process (ferry-runner.ts) can
 * build it from JSON.
 */
export async function prepareFerryTask(
  source: pg.ClientConfig,
  target: pg.ClientConfig,
  db: string,
): Promise<Task> {
  const task = await createTask({
    name: `bench-${db}`,
    source: { ...source, database: db },
    target: { ...target, database: 'postgres' },
    type: 'full+incremental',
    objects: { databases: { [db]: true } },
  })
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    await task.fullLoad()
    return task
  } catch (error) {
    await task.close()
    throw error
  }
}

/** pgferry's logical slot for `db` (the only logical slot of that database not named native…). */
export async function ferrySlotName(source: Cluster, db: string): Promise<string> {
  const r = await source.query<{ slot_name: string }>(
    `SELECT slot_name FROM pg_replication_slots WHERE database = $1 AND slot_type = 'logical' AND slot_name NOT LIKE 'native%' AND slot_name NOT LIKE 'bench%'`,
    [db],
  )
  const slotName = r.rows[0]?.slot_name
  if (slotName === undefined) throw new Error(`no pgferry slot found for database ${db}`)
  return slotName
}

/** The task in this process, incremental sync running. */
export async function startFerry(
  source: Cluster,
  target: Cluster,
  db: string,
): Promise<RunningFerry> {
  const task = await prepareFerryTask(source.config(db), target.config('postgres'), db)
  try {
    const sync = await task.startIncremental()
    return { task, sync, slotName: await ferrySlotName(source, db) }
  } catch (error) {
    await task.close()
    throw error
  }
}
