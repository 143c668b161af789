/**
 * Which relations, by schema and name, no longer resolve in the connected database (dropped or
 * renamed since they were recorded). All versions ≥ 10 (`to_regclass(text)`), one query.
 */
import type pg from 'pg'

/** A relation by name. */
export interface NamedRelation {
  readonly schema: string
  readonly name: string
}

/** The entries of `relations` that do not resolve, in their order. */
export async function readMissingRelations<R extends NamedRelation>(
  client: pg.Client,
  relations: readonly R[],
): Promise<R[]> {
  if (relations.length === 0) return []
  const r = await client.query<{ i: string }>(
    `SELECT u.i::text AS i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(s, n, i)
      WHERE to_regclass(format('%I.%I', u.s, u.n)) IS NULL ORDER BY u.i`,
    [relations.map((x) => x.schema), relations.map((x) => x.name)],
  )
  return r.rows.map((row) => relations[Number(row.i) - 1] as R)
}
