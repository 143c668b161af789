/**
 * The contract between the structure stage and the full load: the structure stage turns the source
 * catalog into DDL steps; pre-data steps run in `migrateSchema`, post-data steps (indexes, PK /
 * unique / exclusion constraints, foreign keys, triggers, matview refreshes, …) are saved in the
 * store and run by the full load as soon as the data they need has landed. A `structure` task runs
 * both phases in `migrateSchema`.
 */
import type { ProgressStore } from '../model/progress-store.js'

/** One object's DDL. */
export interface DdlStep {
  /** Stable and unique within the database, e.g. `index:"public"."orders_pkey"`; the progress key. */
  readonly key: string
  /** Object kind: `schema`, `table`, `index`, `constraint`, `foreign-key`, `trigger`, `matview-refresh`, … */
  readonly kind: string
  /** Qualified target name, for events and messages. */
  readonly name: string
  readonly phase: 'pre-data' | 'post-data'
  /**
   * Keys of steps that must be done before this one. In a saved post-data plan these are keys of
   * other post-data steps only: every pre-data step is done before the load starts.
   */
  readonly dependsOn: readonly string[]
  /** Source relation oids whose data must be loaded before this step runs (post-data). */
  readonly relations: readonly number[]
  /** Statements, run in order in one transaction unless `transactional` is false. */
  readonly sql: readonly string[]
  /** False for statements that cannot run in a transaction block. Defaults to true when absent. */
  readonly transactional?: boolean
  /**
   * Literals in `sql` that hold secrets (the option values of a user mapping, which usually carry a
   * password): run as they are, but never shown.
   */
  readonly secrets?: readonly string[]
}

/** The step's statements as they may be shown (errors, events, logs): every secret literal masked. */
export function shownSql(step: DdlStep): string {
  let out = step.sql.join(';\n')
  for (const secret of step.secrets ?? []) out = out.split(secret).join("'***'")
  return out
}

/** The progress kind under which the post-data plan of a target database is saved. */
export const POST_DATA_PLAN_KIND = 'postdata-plan'
/**
 * The progress kind under which each post-data step is marked done (key = `<targetDb>\u001f<step
 * key>`: the PostgreSQL store keeps keys in jsonb, which refuses \u0000).
 */
export const POST_DATA_DONE_KIND = 'postdata-done'

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
): Promise<DdlStep[] | undefined> {
  const entries = await store.getProgress(taskId, POST_DATA_PLAN_KIND)
  return entries.find((e) => e.key === targetDatabase)?.value as DdlStep[] | undefined
}
