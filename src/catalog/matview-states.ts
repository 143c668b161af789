/**
 * Materialized views of the source as the cutover needs them: whether each is populated now, in
 * an order where a matview comes after every matview its query reads (directly, or through plain
 * views). All versions ≥ 10 (pg_rewrite / pg_depend / relispopulated are unchanged since 9.3).
 */
import type pg from 'pg'

/** A source matview's state. */
export interface MatviewState {
  readonly oid: number
  readonly populated: boolean
}

/**
 * The states of the matviews `oids`, ordered so that each one follows the matviews among `oids`
 * it reads from. A dependency cycle cannot exist (PostgreSQL refuses it); oids that are no longer
 * matviews on the source are left out.
 */
export async function readMatviewStates(
  client: pg.Client,
  oids: readonly number[],
): Promise<MatviewState[]> {
  if (oids.length === 0) return []
  const states = await client.query<{ oid: number; populated: boolean }>(
    `SELECT c.oid::int8::float8 AS oid, c.relispopulated AS populated
       FROM pg_class c WHERE c.oid = ANY($1::int8[]::oid[]) AND c.relkind = 'm' ORDER BY c.oid`,
    [oids],
  )
  // what each matview's rule reads, followed through views (and matviews outside `oids`) until a
  // matview of `oids` is reached
  const edges = await client.query<{ m: number; dep: number }>(
    `WITH RECURSIVE reads(m, rel) AS (
       SELECT r.ev_class, d.refobjid
         FROM pg_rewrite r
         JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
        WHERE r.ev_class = ANY($1::int8[]::oid[])
       UNION
       SELECT reads.m, d.refobjid
         FROM reads
         JOIN pg_rewrite r ON r.ev_class = reads.rel
         JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
        WHERE NOT (reads.rel = ANY($1::int8[]::oid[]))
     )
     SELECT DISTINCT m::int8::float8 AS m, rel::int8::float8 AS dep
       FROM reads WHERE rel = ANY($1::int8[]::oid[]) AND rel <> m`,
    [oids],
  )
  const after = new Map<number, number[]>()
  for (const e of edges.rows) after.set(e.m, [...(after.get(e.m) ?? []), e.dep])
  const byOid = new Map(states.rows.map((s) => [s.oid, s]))
  const ordered: MatviewState[] = []
  const placed = new Set<number>()
  const place = (oid: number): void => {
    if (placed.has(oid)) return
    placed.add(oid)
    for (const dep of after.get(oid) ?? []) place(dep)
    const s = byOid.get(oid)
    if (s !== undefined) ordered.push({ oid: s.oid, populated: s.populated })
  }
  for (const s of states.rows) place(s.oid)
  return ordered
}
