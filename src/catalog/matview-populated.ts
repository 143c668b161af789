/**
 * Whether materialized views hold data (`pg_class.relispopulated`): one created `WITH NO DATA`
 * and never refreshed cannot be read until it is. All versions ≥ 9.3.
 */
import type pg from 'pg'

/** Populated state of the relations `names` (qualified, quoted) that exist, by that name. */
export async function readPopulated(
  client: pg.Client,
  names: readonly string[],
): Promise<Map<string, boolean>> {
  const r = await client.query<{ name: string; populated: boolean }>(
    `SELECT t.name, c.relispopulated AS populated
       FROM unnest($1::text[]) AS t(name) JOIN pg_class c ON c.oid = to_regclass(t.name)`,
    [names],
  )
  return new Map(r.rows.map((x) => [x.name, x.populated]))
}
