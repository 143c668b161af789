/**
 * The one read of a task's manifest with its state (model/manifest-state.ts): the manifests, the
 * full load's database and table records, the post-data plans and done marks, and the cutover's
 * marks, joined per source database. Every stage that needs more than the selection reads this,
 * not the records kind by kind; and the cutover's marks change only through the two steps here.
 */
import type { CompleteMark, DoneMark } from '../model/progress-values.js'
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS, parsePostDataDoneKey } from '../model/progress-kinds.js'
import type { LoadedDatabase, LoadedTable } from '../model/load-progress.js'
import type { DatabaseManifest } from '../model/manifest.js'
import type { CutoverMarks, DatabaseManifestState, ManifestState } from '../model/manifest-state.js'
import type { DdlStep } from '../model/ddl-step.js'
import { readProgress } from '../store/progress-records.js'
import { readManifests } from './manifest-store.js'

/** The records of every kind the view joins, as read once. */
interface Records {
  readonly manifests: readonly DatabaseManifest[]
  readonly loads: ReadonlyMap<string, LoadedDatabase>
  readonly tables: readonly LoadedTable[]
  readonly plans: ReadonlyMap<string, readonly DdlStep[]>
  readonly stepsDone: readonly { key: string; value: DoneMark }[]
  readonly marks: ReadonlyMap<string, CompleteMark>
}

async function readRecords(store: ProgressStore, taskId: string): Promise<Records> {
  const [manifests, loads, tables, plans, stepsDone, marks] = await Promise.all([
    readManifests(store, taskId),
    readProgress(store, taskId, PROGRESS_KINDS.loadedDatabase),
    readProgress(store, taskId, PROGRESS_KINDS.loadedTable),
    readProgress(store, taskId, PROGRESS_KINDS.postDataPlan),
    readProgress(store, taskId, PROGRESS_KINDS.postDataDone),
    readProgress(store, taskId, PROGRESS_KINDS.complete),
  ])
  return {
    manifests,
    loads: new Map(loads.map((e) => [e.value.sourceDatabase, e.value])),
    tables: tables.map((e) => e.value),
    plans: new Map(plans.map((e) => [e.key, e.value])),
    stepsDone,
    marks: new Map(marks.map((e) => [e.key, e.value])),
  }
}

function marksOf(records: Records, db: string): CutoverMarks {
  const drained = records.marks.get(`${db}/drained`)
  const done = records.marks.get(`${db}/done`)
  return {
    drained: drained !== undefined && 'fence' in drained ? drained : undefined,
    done: done?.at,
  }
}

function databaseOf(
  records: Records,
  db: string,
  manifest: DatabaseManifest | undefined,
): DatabaseManifestState {
  const load = records.loads.get(db)
  const targetDatabase = manifest?.database.as ?? load?.targetDatabase ?? db
  return {
    database: db,
    manifest,
    targetDatabase,
    load,
    tables: new Map(records.tables.filter((t) => t.sourceDatabase === db).map((t) => [t.oid, t])),
    postDataPlan: records.plans.get(targetDatabase),
    postDataDone: new Set(
      records.stepsDone.flatMap((e) => parsePostDataDoneKey(targetDatabase, e.key) ?? []),
    ),
    marks: marksOf(records, db),
  }
}

/**
 * The task's databases with their state, in manifest order, then any database the full load
 * recorded without a manifest (a task stored before manifests were kept); empty for a task whose
 * first stage has not run.
 */
export async function readManifestState(
  store: ProgressStore,
  taskId: string,
): Promise<ManifestState> {
  const records = await readRecords(store, taskId)
  const named = new Set(records.manifests.map((m) => m.database.name))
  const databases = [
    ...records.manifests.map((m) => databaseOf(records, m.database.name, m)),
    ...[...records.loads.keys()]
      .filter((db) => !named.has(db))
      .sort()
      .map((db) => databaseOf(records, db, undefined)),
  ]
  return { databases }
}

/** The explicit step that marks databases drained to their fences (LSNs, `X/Y`), in one write. */
export async function markDrained(
  store: ProgressStore,
  taskId: string,
  fences: ReadonlyMap<string, string>,
): Promise<void> {
  const at = new Date().toISOString()
  await store.putProgress(
    taskId,
    [...fences].map(([db, fence]) => ({
      kind: PROGRESS_KINDS.complete,
      key: `${db}/drained`,
      value: { fence, at },
    })),
  )
}

/** The explicit step that marks the cutover of source database `db` done. */
export async function markCutoverDone(
  store: ProgressStore,
  taskId: string,
  db: string,
): Promise<void> {
  await store.putProgress(taskId, [
    { kind: PROGRESS_KINDS.complete, key: `${db}/done`, value: { at: new Date().toISOString() } },
  ])
}
