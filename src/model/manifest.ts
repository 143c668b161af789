/**
 * The task's manifest: what it migrates from each source database, resolved once (by the first
 * stage that writes: structure, or the full load when a caller starts there), stored, and read by
 * every later stage. The live source catalog decides nothing after that: a table created on the
 * source later is not migrated unless the caller adds it (`startIncremental(task, { addTables })`),
 * and a function body changed since does not widen the dependency closure.
 *
 * Only the selection lives in this record. The other facts of the manifest keep their one record
 * each: each table's copy state and sync LSN (fullload/load-progress.ts, derived from the target
 * ledger's `copy_done` rows), the post-data plan (schema/ddl-step.ts), and the drain and cutover
 * marks (complete/complete-stage.ts); stages read them all joined per database through one typed
 * view, `readManifestState` (manifest-state.ts here, and manifest/manifest-state.ts).
 *
 * Types and pure helpers (the model layer): no I/O, and no import outside `model/`.
 */
import type { ResolvedDatabase } from './resolved-objects.js'

/** pg_class.relkind values pgferry migrates. */
export type RelKind = 'r' | 'p' | 'v' | 'm' | 'S' | 'f'

/** A relation of the source selected for migration. */
export interface SelectedRelation {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly kind: RelKind
  /** `p` permanent, `u` unlogged, `t` temporary. */
  readonly persistence: 'p' | 'u' | 't'
  /** Schema name on the target. */
  readonly targetSchema: string
  /** For a partition: the oid of its parent. */
  readonly parentOid: number | undefined
  /**
   * Why it is selected: named in the selection (`explicit`), brought by another object, or added
   * to the manifest after it was resolved (`added`, see `addTables`).
   */
  readonly reason: 'explicit' | 'schema' | 'partition' | 'owned-sequence' | 'added'
  /** Estimated size in bytes (pg_total_relation_size for tables; 0 for views), when read. */
  readonly bytes: number
  /** Estimated rows (reltuples; -1 or 0 when never analysed), when read. */
  readonly estimatedRows: number
}

/** A function, procedure or aggregate of the source selected for migration. */
export interface SelectedFunction {
  readonly oid: number
  readonly schema: string
  readonly name: string
  /** `pg_get_function_identity_arguments`, e.g. `a integer, b text`. */
  readonly identityArgs: string
  /** `f` function, `p` procedure, `a` aggregate, `w` window. */
  readonly kind: 'f' | 'p' | 'a' | 'w'
  readonly targetSchema: string
}

/** What the selection means in one source database. */
export interface DatabaseObjects {
  /** The database's selection, extended by the dependency closure when the task includes it. */
  readonly database: ResolvedDatabase
  /** Selected schemas, source name → target name. */
  readonly schemas: readonly { readonly name: string; readonly as: string }[]
  readonly relations: readonly SelectedRelation[]
  readonly functions: readonly SelectedFunction[]
  /** Names the selection lists that do not exist on the source (`schema.name`). */
  readonly missing: readonly string[]
}

/** Tables added to a manifest after it was resolved, by the explicit step. */
export interface ManifestAddition {
  /** As the caller named them, `schema.table`. */
  readonly tables: readonly string[]
  /** ISO time. */
  readonly at: string
}

/** One source database's manifest, as stored (progress kind `manifest`, key: source database). */
export interface DatabaseManifest extends DatabaseObjects {
  /** Record layout version. */
  readonly format: 1
  /** Order among the task's databases (the stages take them in this order). */
  readonly position: number
  /** ISO time it was resolved. */
  readonly resolvedAt: string
  /** The stage that resolved it. */
  readonly resolvedBy: string
  /** What the explicit step added since, oldest first. */
  readonly added: readonly ManifestAddition[]
}

/** The schemas of a manifest whose every table is migrated (a table created there is worth a word). */
export function wholeSchemasOf(m: DatabaseObjects): string[] {
  const schemas = m.database.schemas
  return schemas === undefined
    ? m.schemas.map((s) => s.name)
    : schemas.filter((s) => s.whole).map((s) => s.name)
}

/**
 * A table named to `startIncremental(task, { addTables })`: as text, `schema.table` (or
 * `database.schema.table` when the task migrates several databases), with a part in double quotes
 * when it holds a dot or a quote (`"my.schema"."t.1"`, a quote inside doubled as in SQL); or as an
 * object, which needs no quoting. Names are spelled as on the source, case included.
 * @public
 */
export type TableRef =
  | string
  | {
      /** The source database; needed only when the task migrates several. */
      readonly database?: string
      /** The table's schema on the source. */
      readonly schema: string
      /** The table's name on the source. */
      readonly name: string
    }
