/**
 * One database's creation facts and its `ALTER DATABASE … SET` / `ALTER ROLE … IN DATABASE … SET`
 * settings. Versions ≥ 10; the locale provider is read from v15 (`datlocprovider`,
 * `daticulocale`; `datlocale` from v17); `datcollate`/`datctype` are columns in every version.
 */
import type pg from 'pg'

/** One database. */
export interface DatabaseInfo {
  readonly oid: number
  readonly name: string
  readonly owner: string
  readonly encoding: string
  readonly collate: string
  readonly ctype: string
  /** `c` libc, `i` icu, `b` builtin (v17). */
  readonly localeProvider: string
  readonly locale: string | null
  readonly connectionLimit: number
  /** Settings for every role (`role` null) or one role in this database: `name=value` strings. */
  readonly settings: readonly { readonly role: string | null; readonly config: readonly string[] }[]
}

/** Read a database by name, or undefined when it does not exist. */
export async function readDatabase(
  client: pg.Client,
  major: number,
  name: string,
): Promise<DatabaseInfo | undefined> {
  const provider = major >= 15 ? `d.datlocprovider::text` : `'c'`
  const locale = major >= 17 ? `d.datlocale` : major >= 15 ? `d.daticulocale` : `NULL::text`
  const r = await client.query<{
    oid: number
    name: string
    owner: string
    encoding: string
    collate: string
    ctype: string
    provider: string
    locale: string | null
    connlimit: number
    settings: { role: string | null; config: string[] }[] | null
  }>(
    `SELECT d.oid::int8::float8 AS oid, d.datname AS name, pg_get_userbyid(d.datdba) AS owner,
            pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype,
            ${provider} AS provider, ${locale} AS locale, d.datconnlimit AS connlimit,
            (SELECT json_agg(json_build_object('role', CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END,
                    'config', s.setconfig) ORDER BY s.setrole)
               FROM pg_db_role_setting s WHERE s.setdatabase = d.oid) AS settings
       FROM pg_database d WHERE d.datname = $1`,
    [name],
  )
  const x = r.rows[0]
  if (x === undefined) return undefined
  return {
    oid: x.oid,
    name: x.name,
    owner: x.owner,
    encoding: x.encoding,
    collate: x.collate,
    ctype: x.ctype,
    localeProvider: x.provider,
    locale: x.locale,
    connectionLimit: x.connlimit,
    settings: x.settings ?? [],
  }
}
