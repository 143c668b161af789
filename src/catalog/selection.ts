/**
 * From a task's selection to the concrete objects of one source database: the one place that
 * decides what "selected" means, shared by precheck, structure and full load.
 *
 * Rules: system schemas (pg_catalog, information_schema, pg_toast*, pg_temp*) and the progress
 * store's schema are never selected; objects that belong to an extension are left to
 * CREATE EXTENSION; a selected partitioned table brings its partitions; a selected table brings
 * the sequences its columns own (serial / identity). All versions ≥ 10.
 */
import type pg from 'pg'
import { addDependencies } from './dependencies.js'
import { DEFAULT_STORE_SCHEMA } from '../store/pg-store.js'
import {
  wholeSchema,
  type ResolvedDatabase,
  type ResolvedObjects,
  type ResolvedSchema,
} from '../model/resolved-objects.js'
import { versionNum } from './server-version.js'

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
  /** Why it is selected: named in the selection (`explicit`), or brought by another object. */
  readonly reason: 'explicit' | 'schema' | 'partition' | 'owned-sequence'
  /** Estimated size in bytes (pg_total_relation_size for tables; 0 for views). */
  readonly bytes: number
  /** Estimated rows (reltuples; -1 or 0 when never analysed). */
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
  readonly database: ResolvedDatabase
  /** Selected schemas, source name → target name. */
  readonly schemas: readonly { readonly name: string; readonly as: string }[]
  readonly relations: readonly SelectedRelation[]
  readonly functions: readonly SelectedFunction[]
  /** Names the selection lists that do not exist on the source (`schema.name`). */
  readonly missing: readonly string[]
}

const SYSTEM_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema', ${"'" + DEFAULT_STORE_SCHEMA + "'"})
  AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'`

/** Databases an `instance` task migrates: every database that accepts connections and is not a template. */
export async function listSourceDatabases(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname`,
  )
  return r.rows.map((x) => x.datname)
}

/** The databases of a task: the selection's, or (for `instance`) every database of the source. */
export async function selectedDatabases(
  objects: ResolvedObjects,
  source: pg.Client,
): Promise<readonly ResolvedDatabase[]> {
  if (objects.databases !== undefined) return objects.databases
  return (await listSourceDatabases(source)).map((name) => ({ name, as: name, schemas: undefined }))
}

interface RelRow {
  oid: number
  schema: string
  name: string
  kind: RelKind
  persistence: 'p' | 'u' | 't'
  parent: number | null
  owner_table: number | null
  bytes: string
  rows: string
}

interface FnRow {
  oid: number
  schema: string
  name: string
  args: string
  kind: 'f' | 'p' | 'a' | 'w'
}

/** Read what the selection means in the database `client` is connected to (`db`). */
export async function readSelection(
  client: pg.Client,
  db: ResolvedDatabase,
): Promise<DatabaseObjects> {
  const schemasR = await client.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n
     WHERE ${SYSTEM_SCHEMA_FILTER}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
     ORDER BY 1`,
  )
  const existing = new Set(schemasR.rows.map((r) => r.name))
  const missing: string[] = []
  let chosen: readonly ResolvedSchema[]
  if (db.schemas === undefined) {
    chosen = [...existing].map(wholeSchema)
  } else {
    chosen = db.schemas.filter((s) => {
      if (!existing.has(s.name)) missing.push(s.name)
      return existing.has(s.name)
    })
  }
  const bySchema = new Map(chosen.map((s) => [s.name, s]))
  const names = [...bySchema.keys()]

  // pg_inherits.inhparent gives partitions their parent; relispartition exists from v10.
  const relsR = await client.query<RelRow>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            c.relpersistence::text AS persistence,
            CASE WHEN c.relispartition THEN (SELECT i.inhparent::int8::float8 FROM pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) END AS parent,
            (SELECT d.refobjid::int8::float8 FROM pg_depend d
              WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS owner_table,
            CASE WHEN c.relkind IN ('r', 'm', 'p', 'S') THEN pg_total_relation_size(c.oid) ELSE 0 END::text AS bytes,
            c.reltuples::text AS rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY n.nspname, c.relname`,
    [names],
  )
  const fnsR = await client.query<FnRow>(
    // prokind exists from v11; v10 has proisagg / proiswindow.
    `SELECT p.oid::int8::float8 AS oid, n.nspname AS schema, p.proname AS name,
            pg_get_function_identity_arguments(p.oid) AS args,
            ${await prokindExpr(client)} AS kind
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY n.nspname, p.proname, 4`,
    [names],
  )

  const picked = new Map<number, SelectedRelation>()
  const rows = relsR.rows
  const pick = (r: RelRow, reason: SelectedRelation['reason']): void => {
    if (picked.has(r.oid)) return
    const s = bySchema.get(r.schema)
    picked.set(r.oid, {
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      persistence: r.persistence,
      targetSchema: s?.as ?? r.schema,
      parentOid: r.parent ?? undefined,
      reason,
      bytes: Number(r.bytes),
      estimatedRows: Number(r.rows),
    })
  }
  for (const s of chosen) {
    const inSchema = rows.filter((r) => r.schema === s.name)
    const excluded = new Set(s.exclude)
    if (s.whole) {
      for (const r of inSchema) if (!excluded.has(r.name)) pick(r, 'schema')
      continue
    }
    const lists: [readonly string[] | undefined, readonly RelKind[]][] = [
      [s.tables, ['r', 'p', 'f']],
      [s.views, ['v', 'm']],
      [s.sequences, ['S']],
    ]
    for (const [list, kinds] of lists) {
      for (const name of list ?? []) {
        const r = inSchema.find((x) => x.name === name && kinds.includes(x.kind))
        if (r === undefined) missing.push(`${s.name}.${name}`)
        else if (!excluded.has(name)) pick(r, 'explicit')
      }
    }
  }
  // partitions of selected partitioned tables (recursively), and sequences owned by selected tables
  let grew = true
  while (grew) {
    grew = false
    for (const r of rows) {
      if (picked.has(r.oid)) continue
      if (r.parent !== null && picked.has(r.parent)) {
        pick(r, 'partition')
        grew = true
      } else if (r.kind === 'S' && r.owner_table !== null && picked.has(r.owner_table)) {
        pick(r, 'owned-sequence')
        grew = true
      }
    }
  }

  const functions: SelectedFunction[] = []
  for (const s of chosen) {
    const inSchema = fnsR.rows.filter((f) => f.schema === s.name)
    const take = (f: FnRow): void => {
      functions.push({
        oid: f.oid,
        schema: f.schema,
        name: f.name,
        identityArgs: f.args,
        kind: f.kind,
        targetSchema: s.as,
      })
    }
    if (s.whole) inSchema.forEach(take)
    else {
      for (const name of s.functions ?? []) {
        const found = inSchema.filter((f) => f.name === name)
        if (found.length === 0) missing.push(`${s.name}.${name}()`)
        found.forEach(take)
      }
    }
  }

  return {
    database: db,
    schemas: chosen.map((s) => ({ name: s.name, as: s.as })),
    relations: [...picked.values()],
    functions,
    missing,
  }
}

async function prokindExpr(client: pg.Client): Promise<string> {
  return (await versionNum(client)) >= 110000
    ? `p.prokind::text`
    : `CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' ELSE 'f' END`
}

/**
 * What a task migrates from one source database: `readSelection`, plus the dependency closure when
 * the task asks for it (`includeDependencies`, always on for `instance`). Stages call this one.
 */
export async function readTaskSelection(
  client: pg.Client,
  db: ResolvedDatabase,
  objects: ResolvedObjects,
): Promise<DatabaseObjects> {
  const selection = await readSelection(client, db)
  return objects.includeDependencies ? addDependencies(client, selection) : selection
}
