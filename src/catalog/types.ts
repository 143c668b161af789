/**
 * User-defined types of the selected schemas: enum, composite, domain, range; base types are listed
 * so the stage can report them. One query for the types, one for domain constraints. Versions ≥ 10;
 * multirange names from v14.
 */
import type pg from 'pg'

/** One user-defined type. */
export interface TypeInfo {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly owner: string
  /** `e` enum, `c` composite, `d` domain, `r` range, `b` base, `p` pseudo (shell). */
  readonly type: 'e' | 'c' | 'd' | 'r' | 'b' | 'p' | 'm'
  readonly labels: readonly string[]
  /** Composite attributes. */
  readonly attributes: readonly {
    name: string
    num: number
    type: string
    collation: string | null
  }[]
  /** The composite type's relation (`typrelid`), under which attribute comments are filed. */
  readonly relation: number
  /** Domain: base type, default, NOT NULL, collation. */
  readonly baseType: string | null
  readonly default: string | null
  readonly notNull: boolean
  readonly collation: string | null
  /** Range: subtype and options. */
  readonly range: {
    readonly subtype: string
    readonly opclass: string | null
    readonly collation: string | null
    readonly canonical: string | null
    readonly diff: string | null
    /** The multirange type's name (v14+), in the range's schema. */
    readonly multirange: string | null
  } | null
}

/** A domain's CHECK constraint. */
export interface DomainConstraintInfo {
  readonly oid: number
  readonly domain: number
  readonly name: string
  readonly definition: string
}

/** A row of `readTypes`' query. */
interface TypeRow {
  oid: number
  schema: string
  name: string
  owner: string
  type: TypeInfo['type']
  labels: string[] | null
  attrs: { name: string; num: number; type: string; collation: string | null }[] | null
  relation: number
  base: string | null
  def: string | null
  not_null: boolean
  collation: string | null
  subtype: string | null
  opclass: string | null
  rcollation: string | null
  canonical: string | null
  diff: string | null
  multirange: string | null
}

/** Read the types of the given schemas (not array types, not relation row types, not extension members). */
export async function readTypes(
  client: pg.Client,
  major: number,
  schemas: readonly string[],
): Promise<TypeInfo[]> {
  const multirange =
    major >= 14
      ? `(SELECT mt.typname FROM pg_type mt WHERE mt.oid = r.rngmultitypid)`
      : `NULL::text`
  const res = await client.query<TypeRow>(
    `SELECT t.oid::int8::float8 AS oid, n.nspname AS schema, t.typname AS name, pg_get_userbyid(t.typowner) AS owner,
            t.typtype::text AS type, t.typrelid::int8::float8 AS relation,
            (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels,
            (SELECT json_agg(json_build_object('name', a.attname, 'num', a.attnum, 'type', format_type(a.atttypid, a.atttypmod),
                    'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                      THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                            JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END)
                    ORDER BY a.attnum)
               FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
              WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attrs,
            CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base,
            t.typdefault AS def, t.typnotnull AS not_null,
            CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
              THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                    JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS collation,
            format_type(r.rngsubtype, NULL) AS subtype,
            CASE WHEN r.rngsubopc IS NOT NULL AND NOT oc.opcdefault
              THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END AS opclass,
            CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
              THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                    JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = r.rngcollation) END AS rcollation,
            NULLIF(r.rngcanonical, 0)::regproc::text AS canonical, NULLIF(r.rngsubdiff, 0)::regproc::text AS diff,
            ${multirange} AS multirange
       FROM pg_type t
       JOIN pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
       LEFT JOIN pg_range r ON r.rngtypid = t.oid
       LEFT JOIN pg_type st ON st.oid = r.rngsubtype
       LEFT JOIN pg_opclass oc ON oc.oid = r.rngsubopc
       LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
      WHERE n.nspname = ANY($1::text[])
        AND t.typtype IN ('e', 'c', 'd', 'r', 'b', 'p')
        AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
        AND NOT (t.typelem <> 0 AND t.typlen = -1 AND t.typtype = 'b' AND EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      ORDER BY n.nspname, t.typname`,
    [schemas],
  )
  return res.rows.map(toTypeInfo)
}

function toTypeInfo(x: TypeRow): TypeInfo {
  return {
    oid: x.oid,
    schema: x.schema,
    name: x.name,
    owner: x.owner,
    type: x.type,
    labels: x.labels ?? [],
    attributes: x.attrs ?? [],
    relation: x.relation,
    baseType: x.base,
    default: x.def,
    notNull: x.not_null,
    collation: x.collation,
    range:
      x.subtype === null
        ? null
        : {
            subtype: x.subtype,
            opclass: x.opclass,
            collation: x.rcollation,
            canonical: x.canonical,
            diff: x.diff,
            multirange: x.multirange,
          },
  }
}

/** Read the CHECK constraints of the given domains. */
export async function readDomainConstraints(
  client: pg.Client,
  domains: readonly number[],
): Promise<DomainConstraintInfo[]> {
  const r = await client.query<{ oid: number; domain: number; name: string; def: string }>(
    `SELECT k.oid::int8::float8 AS oid, k.contypid::int8::float8 AS domain, k.conname AS name,
            pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k WHERE k.contypid = ANY($1::oid[]) AND k.contype = 'c' ORDER BY k.conname`,
    [domains],
  )
  return r.rows.map((x) => ({ oid: x.oid, domain: x.domain, name: x.name, definition: x.def }))
}
