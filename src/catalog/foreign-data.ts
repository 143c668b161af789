/**
 * Foreign-data wrappers, foreign servers, user mappings and foreign tables of the current database,
 * one query each. Versions ≥ 10. User-mapping options (they often hold passwords) are visible only
 * to a superuser or the server's owner: `pg_user_mappings` shows NULL otherwise.
 */
import type pg from 'pg'

/** A foreign-data wrapper that no extension owns. */
export interface ForeignDataWrapperInfo {
  readonly oid: number
  readonly name: string
  readonly owner: string
  readonly handler: string | null
  readonly validator: string | null
  readonly options: readonly string[]
}

/** A foreign server. */
export interface ForeignServerInfo {
  readonly oid: number
  readonly name: string
  readonly owner: string
  readonly wrapper: string
  readonly wrapperOid: number
  readonly type: string | null
  readonly version: string | null
  readonly options: readonly string[]
}

/** A user mapping; `options` is null when the source user may not read them. */
export interface UserMappingInfo {
  readonly server: string
  /** Role name, or null for PUBLIC. */
  readonly user: string | null
  readonly options: readonly string[] | null
}

/** A foreign table's server and options, and its columns' options. */
export interface ForeignTableInfo {
  readonly oid: number
  readonly server: string
  readonly options: readonly string[]
  readonly columnOptions: Readonly<Record<string, readonly string[]>>
}

const notExt = (cls: string, col: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${cls}'::regclass AND e.objid = ${col} AND e.deptype = 'e')`

/** Read the wrappers no extension owns. */
export async function readForeignDataWrappers(
  client: pg.Client,
): Promise<ForeignDataWrapperInfo[]> {
  const r = await client.query<{
    oid: number
    name: string
    owner: string
    handler: string | null
    validator: string | null
    options: string[] | null
  }>(
    `SELECT w.oid::int8::float8 AS oid, w.fdwname AS name, pg_get_userbyid(w.fdwowner) AS owner,
            NULLIF(w.fdwhandler, 0)::regproc::text AS handler, NULLIF(w.fdwvalidator, 0)::regproc::text AS validator,
            w.fdwoptions AS options
       FROM pg_foreign_data_wrapper w WHERE ${notExt('pg_foreign_data_wrapper', 'w.oid')} ORDER BY 2`,
  )
  return r.rows.map((x) => ({ ...x, options: x.options ?? [] }))
}

/** Read every foreign server. */
export async function readForeignServers(client: pg.Client): Promise<ForeignServerInfo[]> {
  const r = await client.query<{
    oid: number
    name: string
    owner: string
    wrapper: string
    wrapper_oid: number
    type: string | null
    version: string | null
    options: string[] | null
  }>(
    `SELECT s.oid::int8::float8 AS oid, s.srvname AS name, pg_get_userbyid(s.srvowner) AS owner, w.fdwname AS wrapper,
            w.oid::int8::float8 AS wrapper_oid, s.srvtype AS type, s.srvversion AS version, s.srvoptions AS options
       FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
      WHERE ${notExt('pg_foreign_server', 's.oid')} ORDER BY 2`,
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    name: x.name,
    owner: x.owner,
    wrapper: x.wrapper,
    wrapperOid: x.wrapper_oid,
    type: x.type,
    version: x.version,
    options: x.options ?? [],
  }))
}

/** Read every user mapping. */
export async function readUserMappings(client: pg.Client): Promise<UserMappingInfo[]> {
  const r = await client.query<{ server: string; usr: string | null; options: string[] | null }>(
    `SELECT m.srvname AS server, CASE WHEN m.umuser = 0 THEN NULL ELSE m.usename END AS usr, m.umoptions AS options
       FROM pg_user_mappings m ORDER BY 1, 2`,
  )
  return r.rows.map((x) => ({ server: x.server, user: x.usr, options: x.options }))
}

/** Read the foreign tables among the given relations. */
export async function readForeignTables(
  client: pg.Client,
  relations: readonly number[],
): Promise<ForeignTableInfo[]> {
  const r = await client.query<{
    oid: number
    server: string
    options: string[] | null
    cols: Record<string, string[]> | null
  }>(
    `SELECT f.ftrelid::int8::float8 AS oid, s.srvname AS server, f.ftoptions AS options,
            (SELECT json_object_agg(a.attname, a.attfdwoptions) FROM pg_attribute a
              WHERE a.attrelid = f.ftrelid AND a.attnum > 0 AND NOT a.attisdropped AND a.attfdwoptions IS NOT NULL) AS cols
       FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver
      WHERE f.ftrelid = ANY($1::oid[])`,
    [relations],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    server: x.server,
    options: x.options ?? [],
    columnOptions: x.cols ?? {},
  }))
}
