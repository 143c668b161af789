/**
 * Schemas by name with their oid and owner, one query. All versions.
 */
import type pg from 'pg'

/** One schema. */
export interface SchemaInfo {
  readonly oid: number
  readonly name: string
  readonly owner: string
}

/** Read the named schemas. */
export async function readSchemas(
  client: pg.Client,
  names: readonly string[],
): Promise<SchemaInfo[]> {
  const r = await client.query<SchemaInfo>(
    `SELECT n.oid::int8::float8 AS oid, n.nspname AS name, pg_get_userbyid(n.nspowner) AS owner
       FROM pg_namespace n WHERE n.nspname = ANY($1::text[]) ORDER BY n.nspname`,
    [names],
  )
  return r.rows
}
