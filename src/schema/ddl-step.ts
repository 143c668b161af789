/**
 * The contract between the structure stage and the full load: the structure stage turns the source
 * catalog into DDL steps; pre-data steps run in `migrateSchema`, post-data steps (indexes, PK /
 * unique / exclusion constraints, foreign keys, triggers, matview refreshes, …) are saved in the
 * store and run by the full load as soon as the data they need has landed. A `structure` task runs
 * both phases in `migrateSchema`.
 */
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import type { DdlStep } from '../model/ddl-step.js'
import { readProgress } from '../store/progress-records.js'

export type { DdlStep } from '../model/ddl-step.js'

/** The step's statements as they may be shown (errors, events, logs): every secret literal masked. */
export function shownSql(step: DdlStep): string {
  let out = step.sql.join(';\n')
  for (const secret of step.secrets ?? []) out = out.split(secret).join("'***'")
  return out
}

/** The progress kind under which the post-data plan of a target database is saved. */
export const POST_DATA_PLAN_KIND = PROGRESS_KINDS.postDataPlan
/**
 * The progress kind under which each post-data step is marked done (key = `<targetDb>\u001f<step
 * key>`: the PostgreSQL store keeps keys in jsonb, which refuses \u0000).
 */
export const POST_DATA_DONE_KIND = PROGRESS_KINDS.postDataDone

/** Save the post-data steps of one target database (replaces an earlier plan). */
export async function savePostDataPlan(
  store: ProgressStore,
  taskId: string,
  targetDatabase: string,
  steps: readonly DdlStep[],
): Promise<void> {
  await store.putProgress(taskId, [
    { kind: POST_DATA_PLAN_KIND, key: targetDatabase, value: steps },
  ])
}

/** The post-data steps saved for a target database, or undefined when the structure stage has not saved them. */
export async function loadPostDataPlan(
  store: ProgressStore,
  taskId: string,
  targetDatabase: string,
): Promise<readonly DdlStep[] | undefined> {
  const entries = await readProgress(store, taskId, POST_DATA_PLAN_KIND)
  return entries.find((e) => e.key === targetDatabase)?.value
}
