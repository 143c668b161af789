/**
 * Where the relations a manifest names are in the live source catalog now: each by schema and name
 * (its oid, which a drop and re-create changes, and its sizes), and for one whose name no longer
 * resolves, the name its recorded oid has now (renamed) if any (else dropped). All versions ≥ 10
 * (`to_regclass(text)`), one query.
 */
import type pg from 'pg'

/** A relation as recorded. */
export interface RecordedRelation {
  readonly oid: number
  readonly schema: string
  readonly name: string
}

/** A recorded relation in the live catalog. */
export interface LiveRelation {
  /** Oid of the relation of that schema and name now; undefined when none resolves. */
  readonly oid: number | undefined
  /** Estimated size in bytes (pg_total_relation_size; 0 for views). */
  readonly bytes: number
  /** Estimated rows (reltuples). */
  readonly estimatedRows: number
  /** When the name resolves no more: `schema.name` of the recorded oid now, if it still exists. */
  readonly renamedTo: string | undefined
}

interface Row {
  oid: number | null
  bytes: string | null
  rows: string | null
  now_named: string | null
}

/** `relations` as the catalog has them now, in their order. */
export async function readLiveRelations(
  client: pg.Client,
  relations: readonly RecordedRelation[],
): Promise<LiveRelation[]> {
  if (relations.length === 0) return []
  const r = await client.query<Row>(
    `SELECT c.oid::int8::float8 AS oid,
            CASE WHEN c.relkind IN ('r', 'm', 'p', 'S') THEN pg_total_relation_size(c.oid) ELSE 0 END::text AS bytes,
            c.reltuples::text AS rows,
            CASE WHEN c.oid IS NULL THEN
              (SELECT n.nspname || '.' || o.relname FROM pg_class o JOIN pg_namespace n ON n.oid = o.relnamespace
                WHERE o.oid = u.o::oid) END AS now_named
       FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS u(s, n, o, i)
       LEFT JOIN pg_class c ON c.oid = to_regclass(format('%I.%I', u.s, u.n))::oid
      ORDER BY u.i`,
    [relations.map((x) => x.schema), relations.map((x) => x.name), relations.map((x) => x.oid)],
  )
  return r.rows.map((row) => ({
    oid: row.oid ?? undefined,
    bytes: Number(row.bytes ?? 0),
    estimatedRows: Number(row.rows ?? 0),
    renamedTo: row.now_named ?? undefined,
  }))
}
