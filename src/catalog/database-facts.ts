/**
 * Databases of a server by name: whether they exist, their encoding and locale, and whether the
 * connected role owns them. One query for all names. All versions ≥ 10.
 */
import type pg from 'pg'

/** One database as pg_database records it. */
export interface DatabaseFacts {
  readonly name: string
  readonly encoding: string
  readonly collate: string
  readonly ctype: string
  readonly owner: string
  /** The connected role is the owner, a member of it, or a superuser. */
  readonly owned: boolean
}

/** The named databases that exist, by name (v10+). */
export async function readDatabaseFacts(
  client: pg.Client,
  names: readonly string[],
): Promise<Map<string, DatabaseFacts>> {
  const r = await client.query<DatabaseFacts>(
    `SELECT d.datname AS name, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate,
            d.datctype AS ctype, pg_get_userbyid(d.datdba) AS owner, pg_has_role(d.datdba, 'USAGE') AS owned
       FROM pg_database d WHERE d.datname = ANY($1::text[])`,
    [names],
  )
  return new Map(r.rows.map((d) => [d.name, d]))
}
