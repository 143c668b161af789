/**
 * One object's DDL, as the structure stage plans it and the store keeps a post-data plan
 * (schema/ddl-step.ts says how the two phases use it).
 */

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
