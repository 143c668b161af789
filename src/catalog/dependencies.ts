/**
 * Dependencies between source objects: what a selected view, function, trigger, foreign key,
 * column default, check constraint or partition needs that the selection does not have, and the
 * closure that adds it. All versions ≥ 10.
 *
 * Where the catalog knows (pg_depend), it is asked: a view's or materialized view's rule
 * (pg_rewrite → pg_depend), a foreign key (pg_constraint.confrelid), a trigger (pg_trigger.tgfoid),
 * a default (pg_attrdef → pg_depend, e.g. `nextval('other_seq')`), a check constraint's functions,
 * a partition's or inheritance child's parent (pg_inherits), and a v14+ SQL-standard function body
 * (pg_proc → pg_depend). The catalog records nothing for `plpgsql` or string `sql` bodies, so those
 * are scanned for relation names (function-body-references.ts: a heuristic, documented there).
 * Each read is one query per database over the selected oids, never one per object.
 */
import type pg from 'pg'
import { readSelection, type DatabaseObjects, type RelKind } from './selection.js'
import {
  functionBodyReferences,
  searchPathOf,
  type ScannedRelation,
} from './function-body-references.js'
import { DEFAULT_STORE_SCHEMA } from '../store/pg-store.js'
import type { ResolvedDatabase, ResolvedSchema } from '../model/resolved-objects.js'
import { versionNum } from './server-version.js'

/** One object the selection needs but does not include. */
export interface MissingDependency {
  /** The selected object, `schema.name` (functions: `schema.name(args)`). */
  readonly object: string
  /** What it needs, `schema.name` (functions: `schema.name(args)`). */
  readonly needs: string
  /** `view`, `function`, `function-body`, `trigger`, `foreign-key`, `default`, `check`, `partition`. */
  readonly via: string
  /** Schema of the needed object on the source. */
  readonly needsSchema: string
  /** Name of the needed object (without arguments). */
  readonly needsName: string
  /** `function`, or the relkind of the needed relation. */
  readonly needsKind: RelKind | 'function'
}

const NOT_SYSTEM = (col: string): string =>
  `${col} NOT IN ('pg_catalog', 'information_schema', '${DEFAULT_STORE_SCHEMA}') AND ${col} !~ '^pg_toast' AND ${col} !~ '^pg_temp'`

interface EdgeRow {
  via: string
  from_rel: boolean
  from_oid: number
  to_rel: boolean
  to_oid: number
  to_schema: string
  to_name: string
  to_relkind: string | null
  to_args: string | null
}

/**
 * Catalog-recorded edges out of the selected relations and functions (v10+; `conparentid`, which
 * hides the per-partition clones of a foreign key, exists from v11 — v10 cannot put a foreign key
 * on or to a partitioned table, so there is nothing to hide there).
 */
async function readCatalogEdges(
  client: pg.Client,
  relOids: readonly number[],
  fnOids: readonly number[],
): Promise<EdgeRow[]> {
  const clones = (await versionNum(client)) >= 110000 ? 'AND c.conparentid = 0' : ''
  const r = await client.query<EdgeRow>(
    `WITH rel AS (SELECT unnest($1::oid[]) AS oid), fn AS (SELECT unnest($2::oid[]) AS oid),
     edge AS (
       SELECT 'view'::text AS via, true AS from_rel, r.ev_class AS from_oid, d.refclassid AS to_class, d.refobjid AS to_oid
         FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
        WHERE r.ev_class IN (SELECT oid FROM rel) AND d.deptype = 'n'
          AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
          AND NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid = r.ev_class)
       UNION
       SELECT 'foreign-key', true, c.conrelid, 'pg_class'::regclass, c.confrelid
         FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid IN (SELECT oid FROM rel) ${clones}
       UNION
       SELECT 'trigger', true, t.tgrelid, 'pg_proc'::regclass, t.tgfoid
         FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT oid FROM rel)
       UNION
       SELECT 'default', true, a.adrelid, d.refclassid, d.refobjid
         FROM pg_attrdef a JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = a.oid
        WHERE a.adrelid IN (SELECT oid FROM rel) AND d.deptype = 'n'
          AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
          AND NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid = a.adrelid)
       UNION
       SELECT 'check', true, c.conrelid, d.refclassid, d.refobjid
         FROM pg_constraint c JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = c.oid
        WHERE c.contype = 'c' AND c.conrelid IN (SELECT oid FROM rel) AND d.deptype = 'n'
          AND d.refclassid = 'pg_proc'::regclass
       UNION
       SELECT 'partition', true, i.inhrelid, 'pg_class'::regclass, i.inhparent
         FROM pg_inherits i WHERE i.inhrelid IN (SELECT oid FROM rel)
       UNION
       SELECT 'function', false, d.objid, d.refclassid, d.refobjid
         FROM pg_depend d
        WHERE d.classid = 'pg_proc'::regclass AND d.objid IN (SELECT oid FROM fn) AND d.deptype = 'n'
          AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
          AND NOT (d.refclassid = 'pg_proc'::regclass AND d.refobjid = d.objid)
     )
     SELECT DISTINCT e.via, e.from_rel, e.from_oid::int8::float8 AS from_oid,
            e.to_class = 'pg_class'::regclass AS to_rel, e.to_oid::int8::float8 AS to_oid,
            coalesce(tn.nspname, pn.nspname) AS to_schema, coalesce(tc.relname, tp.proname) AS to_name,
            tc.relkind::text AS to_relkind,
            CASE WHEN tp.oid IS NOT NULL THEN pg_get_function_identity_arguments(tp.oid) END AS to_args
       FROM edge e
       LEFT JOIN pg_class tc ON e.to_class = 'pg_class'::regclass AND tc.oid = e.to_oid
       LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
       LEFT JOIN pg_proc tp ON e.to_class = 'pg_proc'::regclass AND tp.oid = e.to_oid
       LEFT JOIN pg_namespace pn ON pn.oid = tp.pronamespace
      WHERE coalesce(tn.nspname, pn.nspname) IS NOT NULL
        AND ${NOT_SYSTEM('coalesce(tn.nspname, pn.nspname)')}
        AND (tc.oid IS NULL OR tc.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
        AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = e.to_class AND x.objid = e.to_oid AND x.deptype = 'e')`,
    [relOids, fnOids],
  )
  return r.rows
}

interface BodyRow {
  oid: number
  schema: string
  src: string
  config: string[] | null
}

/**
 * Relations named in the bodies of the selected plpgsql/sql functions (v10+; on v14+ a function
 * with a SQL-standard body, `prosqlbody`, is left to pg_depend).
 */
async function readBodyEdges(client: pg.Client, fnOids: readonly number[]): Promise<EdgeRow[]> {
  if (fnOids.length === 0) return []
  const noSqlBody = (await versionNum(client)) >= 140000 ? 'AND p.prosqlbody IS NULL' : ''
  const bodies = await client.query<BodyRow>(
    `SELECT p.oid::int8::float8 AS oid, n.nspname AS schema, p.prosrc AS src, p.proconfig AS config
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE p.oid = ANY($1::oid[]) AND l.lanname IN ('plpgsql', 'sql') ${noSqlBody}`,
    [fnOids],
  )
  if (bodies.rows.length === 0) return []
  const rels = await client.query<ScannedRelation & { kind: string }>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${NOT_SYSTEM('n.nspname')}
        AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')`,
  )
  const byName = new Map(rels.rows.map((r) => [`${r.schema}.${r.name}`, r]))
  const kindOf = new Map(rels.rows.map((r) => [r.oid, r.kind]))
  const edges: EdgeRow[] = []
  for (const b of bodies.rows) {
    for (const r of functionBodyReferences(b.src, searchPathOf(b.config, b.schema), byName)) {
      edges.push({
        via: 'function-body',
        from_rel: false,
        from_oid: b.oid,
        to_rel: true,
        to_oid: r.oid,
        to_schema: r.schema,
        to_name: r.name,
        to_relkind: kindOf.get(r.oid) ?? 'r',
        to_args: null,
      })
    }
  }
  return edges
}

/** Dependencies of the selected objects that are not selected. */
export async function missingDependencies(
  client: pg.Client,
  selection: DatabaseObjects,
): Promise<MissingDependency[]> {
  const rels = new Map(selection.relations.map((r) => [r.oid, r]))
  const fns = new Map(selection.functions.map((f) => [f.oid, f]))
  if (rels.size === 0 && fns.size === 0) return []
  const relOids = [...rels.keys()]
  const fnOids = [...fns.keys()]
  const edges = [
    ...(await readCatalogEdges(client, relOids, fnOids)),
    ...(await readBodyEdges(client, fnOids)),
  ]
  const out: MissingDependency[] = []
  const seen = new Set<string>()
  for (const e of edges) {
    if (e.to_rel ? rels.has(e.to_oid) : fns.has(e.to_oid)) continue
    const from = e.from_rel ? rels.get(e.from_oid) : fns.get(e.from_oid)
    if (from === undefined) continue
    const object =
      'identityArgs' in from
        ? `${from.schema}.${from.name}(${from.identityArgs})`
        : `${from.schema}.${from.name}`
    const needs = e.to_rel
      ? `${e.to_schema}.${e.to_name}`
      : `${e.to_schema}.${e.to_name}(${e.to_args ?? ''})`
    const key = `${object}\0${needs}\0${e.via}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({
      object,
      needs,
      via: e.via,
      needsSchema: e.to_schema,
      needsName: e.to_name,
      needsKind: e.to_rel ? ((e.to_relkind ?? 'r') as RelKind) : 'function',
    })
  }
  return out.sort((a, b) => a.object.localeCompare(b.object) || a.needs.localeCompare(b.needs))
}

const LIST_OF: Record<RelKind | 'function', 'tables' | 'views' | 'sequences' | 'functions'> = {
  r: 'tables',
  p: 'tables',
  f: 'tables',
  v: 'views',
  m: 'views',
  S: 'sequences',
  function: 'functions',
}

/** `db` with every object of `needs` added to its schema lists (and taken out of `exclude`). */
export function extendDatabase(
  db: ResolvedDatabase,
  needs: readonly MissingDependency[],
): ResolvedDatabase {
  if (db.schemas === undefined) return db
  const schemas = new Map<string, ResolvedSchema>(db.schemas.map((s) => [s.name, s]))
  for (const n of needs) {
    const s: ResolvedSchema = schemas.get(n.needsSchema) ?? {
      name: n.needsSchema,
      as: n.needsSchema,
      tables: [],
      views: [],
      sequences: [],
      functions: [],
      exclude: [],
      whole: false,
    }
    const exclude = s.exclude.filter((x) => x !== n.needsName)
    if (s.whole) {
      schemas.set(s.name, { ...s, exclude })
      continue
    }
    const list = LIST_OF[n.needsKind]
    const current = s[list] ?? []
    schemas.set(s.name, {
      ...s,
      exclude,
      [list]: current.includes(n.needsName) ? current : [...current, n.needsName],
    })
  }
  return { ...db, schemas: [...schemas.values()] }
}

/** Bound on closure rounds; each round adds at least one object, real chains are a few deep. */
const MAX_CLOSURE_ROUNDS = 100

/**
 * The selection plus the closure of everything it depends on: re-read through `readSelection`
 * after each round, so an added partitioned table brings its partitions and an added table its
 * owned sequences, exactly as if the caller had named them. `database` of the result is the
 * extended selection.
 */
export async function addDependencies(
  client: pg.Client,
  selection: DatabaseObjects,
): Promise<DatabaseObjects> {
  let current = selection
  for (let round = 0; round < MAX_CLOSURE_ROUNDS; round++) {
    const missing = await missingDependencies(client, current)
    if (missing.length === 0) return current
    const db = extendDatabase(current.database, missing)
    const next = await readSelection(client, db)
    if (
      next.relations.length === current.relations.length &&
      next.functions.length === current.functions.length
    )
      return next // nothing more can be added (e.g. a whole-database selection)
    current = next
  }
  return current
}
