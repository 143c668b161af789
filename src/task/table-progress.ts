/**
 * Per-table progress of a task's full load, for `pgferry status` and `task.status()`: every table
 * of the task's manifest, from what the store keeps (the tables whose data is in, the post-data
 * plan and the steps done) and what the running process last reported (the tables it copies now).
 * Read-only.
 */
import { readManifestState } from '../manifest/manifest-state.js'
import type { LiveFigures } from '../model/lease.js'
import type { DatabaseManifest, SelectedRelation } from '../model/manifest.js'
import type { ProgressStore } from '../model/progress-store.js'
import type { DdlStep } from '../model/ddl-step.js'

/**
 * One table's full load.
 * @public
 */
export interface TableProgress {
  /** The source database. */
  readonly database: string
  /** The source table, `schema.name`. */
  readonly table: string
  /**
   * `waiting`: not started (or stopped before its data was in); `copying`: the running process
   * copies it now; `post-data`: its data is in, its indexes, keys or triggers are not all built;
   * `done`: data and post-data steps done.
   */
  readonly state: 'waiting' | 'copying' | 'post-data' | 'done'
  /** Rows copied: of the chunks committed so far while copying; in all when its data is in. */
  readonly rows: number
  /** COPY bytes relayed so far while copying; in all when its data is in; 0 while waiting. */
  readonly bytes: number
  /** Its size on the source (`pg_total_relation_size` when the manifest was resolved). */
  readonly sourceBytes: number
  /** Its post-data steps (indexes, keys, constraints, triggers) done, of `postDataTotal`. */
  readonly postDataDone: number
  /** Its post-data steps in the plan (0 until the structure stage saved the plan). */
  readonly postDataTotal: number
}

/** Every table of the task's manifests, in manifest order; empty before a manifest is resolved. */
export async function readTableProgress(
  store: ProgressStore,
  taskId: string,
  live: LiveFigures | undefined,
): Promise<TableProgress[]> {
  const state = await readManifestState(store, taskId)
  const copying = new Map((live?.copying ?? []).map((c) => [`${c.database}.${c.table}`, c]))
  const out: TableProgress[] = []
  for (const { manifest: m, tables: loaded, postDataPlan, postDataDone: done } of state.databases) {
    if (m === undefined) continue
    const steps = postDataPlan ?? []
    for (const rel of copiedRelations(m)) {
      const name = `${rel.schema}.${rel.name}`
      const own = steps.filter((s) => names(s, rel))
      const stepsDone = own.filter((s) => done.has(s.key)).length
      const data = loaded.get(rel.oid)
      const now = copying.get(`${m.database.name}.${name}`)
      const base = {
        database: m.database.name,
        table: name,
        sourceBytes: rel.bytes,
        postDataDone: stepsDone,
        postDataTotal: own.length,
      }
      if (data !== undefined) {
        const state = stepsDone < own.length ? 'post-data' : 'done'
        out.push({ ...base, state, rows: data.rows, bytes: data.bytes })
      } else if (now !== undefined) {
        out.push({ ...base, state: 'copying', rows: now.rows, bytes: now.bytes })
      } else {
        out.push({ ...base, state: 'waiting', rows: 0, bytes: 0 })
      }
    }
  }
  return out
}

/** The relations whose data the load copies: tables (partitions included), not temporary ones. */
function copiedRelations(m: DatabaseManifest): SelectedRelation[] {
  return m.relations.filter((r) => r.kind === 'r' && r.persistence !== 't')
}

/** Whether a post-data step is one of `rel`'s (it names the table's oid). */
function names(step: DdlStep, rel: SelectedRelation): boolean {
  return step.relations.includes(rel.oid)
}
