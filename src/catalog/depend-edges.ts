/**
 * Dependency edges between user objects (`pg_depend`, normal and auto), one query per database,
 * with each end resolved to the object the structure stage creates for it: a column default to
 * its table, a view's rewrite rule to its view, an array type to its element type, a row type to
 * its relation, a composite type's relation (its attributes' dependencies) to the type, an
 * extension member to its extension. All versions ≥ 10.
 */
import type pg from 'pg'

/** An object reference: catalog name and oid. */
export interface ObjectRef {
  readonly catalog: string
  readonly oid: number
}

/** `from` must be created after `to`. */
export interface DependEdge {
  readonly from: ObjectRef
  readonly to: ObjectRef
  /** `pg_describe_object` of the referenced object, for messages. */
  readonly toName: string
}

/** Resolve a (classid, objid) pair in SQL to the creatable object it stands for. */
function resolve(cls: string, obj: string, ext: string): string {
  return `CASE
      WHEN ${ext}.refobjid IS NOT NULL THEN 'pg_extension:' || ${ext}.refobjid
      WHEN ${cls} = 'pg_attrdef'::regclass THEN 'pg_class:' || (SELECT adrelid FROM pg_attrdef WHERE oid = ${obj})
      WHEN ${cls} = 'pg_rewrite'::regclass THEN
        (SELECT CASE WHEN w.rulename = '_RETURN' THEN 'pg_class:' || w.ev_class ELSE 'pg_rewrite:' || w.oid END FROM pg_rewrite w WHERE w.oid = ${obj})
      WHEN ${cls} = 'pg_type'::regclass THEN
        (SELECT CASE WHEN t.typrelid <> 0 AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) <> 'c' THEN 'pg_class:' || t.typrelid
                     WHEN t.typcategory = 'A' AND t.typtype = 'b' AND t.typelem <> 0 THEN 'pg_type:' || t.typelem
                     WHEN t.typrelid <> 0 THEN 'pg_type:' || t.oid
                     ELSE 'pg_type:' || t.oid END FROM pg_type t WHERE t.oid = ${obj})
      WHEN ${cls} = 'pg_class'::regclass AND (SELECT relkind FROM pg_class WHERE oid = ${obj}) = 'c' THEN
        'pg_type:' || (SELECT reltype FROM pg_class WHERE oid = ${obj})
      ELSE (SELECT relname FROM pg_class WHERE oid = ${cls}) || ':' || ${obj}
    END`
}

/** Read the edges between user objects (oid ≥ 16384) of the current database. */
export async function readDependEdges(client: pg.Client): Promise<DependEdge[]> {
  const r = await client.query<{ f: string | null; t: string | null; d: string | null }>(
    `SELECT ${resolve('d.classid', 'd.objid', 'fext')} AS f,
            ${resolve('d.refclassid', 'd.refobjid', 'ext')} AS t,
            pg_describe_object(d.refclassid, d.refobjid, 0) AS d
       FROM pg_depend d
       LEFT JOIN LATERAL (SELECT e.refobjid FROM pg_depend e WHERE e.classid = d.refclassid AND e.objid = d.refobjid
                           AND e.deptype = 'e' LIMIT 1) ext ON true
       LEFT JOIN LATERAL (SELECT e.refobjid FROM pg_depend e WHERE e.classid = d.classid AND e.objid = d.objid
                           AND e.deptype = 'e' LIMIT 1) fext ON true
      WHERE d.deptype IN ('n', 'a') AND d.refobjid >= 16384 AND d.objid >= 16384`,
  )
  const parse = (s: string): ObjectRef | undefined => {
    const i = s.lastIndexOf(':')
    const oid = Number(s.slice(i + 1))
    return i > 0 && Number.isFinite(oid) ? { catalog: s.slice(0, i), oid } : undefined
  }
  const out: DependEdge[] = []
  for (const x of r.rows) {
    if (x.f === null || x.t === null) continue
    const from = parse(x.f)
    const to = parse(x.t)
    if (from !== undefined && to !== undefined) out.push({ from, to, toName: x.d ?? x.t })
  }
  return out
}
