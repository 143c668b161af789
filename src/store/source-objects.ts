/**
 * What pgferry creates or changes on the source (ARCHITECTURE.md), recorded in the store *before*
 * it is created: a publication, a logical slot, a table's replica identity. Every failure path,
 * `complete` and `task.delete()` remove what these records name, so a crash at any point between
 * the record and the object (or between the object and the task's other progress) leaves nothing
 * on the source that pgferry does not know about. A record whose object never came to be costs a
 * `DROP … IF EXISTS`.
 *
 * - kind `source-object`, key `<source db>/<kind>/<name>`, value {@link SourceObject}.
 */
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import type { SourceObject } from '../model/source-object.js'
import { readProgress } from './progress-records.js'

/** Progress kind of the source-object records. */
export const SOURCE_OBJECT_KIND = PROGRESS_KINDS.sourceObject

export type { OriginalIdentity, SourceObject } from '../model/source-object.js'

function keyOf(o: SourceObject): string {
  return `${o.database}/${o.kind}/${o.name}`
}

/** Record objects about to be created (upsert: recording twice is harmless). */
export async function recordSourceObjects(
  store: ProgressStore,
  taskId: string,
  objects: readonly SourceObject[],
): Promise<void> {
  await store.putProgress(
    taskId,
    objects.map((o) => ({ kind: SOURCE_OBJECT_KIND, key: keyOf(o), value: o })),
  )
}

/** The recorded objects of a task, of one source database when `database` is given. */
export async function readSourceObjects(
  store: ProgressStore,
  taskId: string,
  database?: string,
): Promise<SourceObject[]> {
  const all = (await readProgress(store, taskId, SOURCE_OBJECT_KIND)).map((e) => e.value)
  return database === undefined ? all : all.filter((o) => o.database === database)
}

/** Forget an object once it is gone from the source. */
export async function forgetSourceObject(
  store: ProgressStore,
  taskId: string,
  object: SourceObject,
): Promise<void> {
  await store.deleteProgress(taskId, SOURCE_OBJECT_KIND, keyOf(object))
}
