/**
 * What the connected role lacks to create a publication over given tables: CREATE on the database
 * and ownership of each table (`CREATE PUBLICATION … FOR TABLE` checks both; membership in the
 * owner counts, as the server counts it through pg_has_role). v10+.
 */
import type pg from 'pg'

/** A table the role does not own, with its owner. */
export interface UnownedTable {
  readonly schema: string
  readonly name: string
  readonly owner: string
  readonly ownerIsSuperuser: boolean
}

/** Whether the role may CREATE in the connected database, and the given relations it does not own. */
export async function readPublicationPrivileges(
  client: pg.Client,
  relOids: readonly number[],
): Promise<{ createOnDatabase: boolean; unowned: UnownedTable[] }> {
  const d = await client.query<{ ok: boolean }>(
    `SELECT has_database_privilege(current_database(), 'CREATE') AS ok`,
  )
  const r = await client.query<UnownedTable>(
    `SELECT n.nspname AS schema, c.relname AS name, o.rolname AS owner, o.rolsuper AS "ownerIsSuperuser"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
      WHERE c.oid = ANY($1::oid[]) AND NOT pg_has_role(c.relowner, 'USAGE')
      ORDER BY 1, 2`,
    [relOids],
  )
  return { createOnDatabase: d.rows[0]?.ok === true, unowned: r.rows }
}
