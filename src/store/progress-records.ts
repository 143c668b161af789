/**
 * The store's typed records (model/progress-values.ts) over any ProgressStore, pgferry's or a
 * caller's: entries of a built-in kind read with their value type, each value checked on the way
 * in, since it is JSON another process (perhaps an older pgferry) wrote.
 */
import { PgferryError } from '../errors.js'
import type { ProgressStore } from '../model/progress-store.js'
import {
  wrongProgressValue,
  type ProgressValues,
  type TypedProgressEntry,
} from '../model/progress-values.js'

/**
 * A task's entries of built-in kind `kind`, ordered by key, each value of the kind's type; throws
 * PGFERRY_STORE_RECORD_INVALID naming the kind, key and field when a stored value is not.
 */
export async function readProgress<K extends keyof ProgressValues>(
  store: ProgressStore,
  taskId: string,
  kind: K,
): Promise<TypedProgressEntry<K>[]> {
  const entries = await store.getProgress(taskId, kind)
  for (const e of entries) {
    const wrong = wrongProgressValue(kind, e.value)
    if (wrong !== undefined)
      throw new PgferryError(
        'PGFERRY_STORE_RECORD_INVALID',
        `task ${taskId}: the stored ${kind} record ${JSON.stringify(e.key)} is not one this pgferry reads: ${wrong}`,
        {
          fix: 'continue the task with the pgferry version that wrote it, or delete the task and migrate again',
        },
      )
  }
  return entries.map((e) => ({ kind, key: e.key, value: e.value as ProgressValues[K] }))
}
