/**
 * Access control lists, exploded into grants (`aclexplode`), one query per catalog. An object with a
 * NULL ACL has the default privileges and is left out; an empty list means "all revoked". All
 * versions ≥ 10.
 */
import type pg from 'pg'

/** One privilege granted. */
export interface Grant {
  /** Role name; `null` for PUBLIC. */
  readonly grantee: string | null
  readonly privilege: string
  readonly grantable: boolean
}

/** The ACL of one object (or column). */
export interface AclInfo {
  readonly oid: number
  /** Column name, for column privileges. */
  readonly column: string | null
  readonly grants: readonly Grant[]
}

/** Catalogs with an ACL column, and that column. */
const ACL_COLUMN = {
  pg_class: 'relacl',
  pg_proc: 'proacl',
  pg_namespace: 'nspacl',
  pg_type: 'typacl',
  pg_database: 'datacl',
  pg_foreign_data_wrapper: 'fdwacl',
  pg_foreign_server: 'srvacl',
} as const

/** Read the non-default ACLs of the given objects of one catalog. */
export async function readAcls(
  client: pg.Client,
  catalog: keyof typeof ACL_COLUMN,
  oids: readonly number[],
): Promise<AclInfo[]> {
  const col = ACL_COLUMN[catalog]
  const r = await client.query<{ oid: number; grants: Grant[] | null }>(
    `SELECT o.oid::int8::float8 AS oid,
            (SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,
                    'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.grantee, a.privilege_type)
               FROM aclexplode(o.${col}) a) AS grants
       FROM pg_catalog.${catalog} o WHERE o.oid = ANY($1::oid[]) AND o.${col} IS NOT NULL`,
    [oids],
  )
  return r.rows.map((x) => ({ oid: x.oid, column: null, grants: x.grants ?? [] }))
}

/** Read the column ACLs of the given relations. */
export async function readColumnAcls(
  client: pg.Client,
  relations: readonly number[],
): Promise<AclInfo[]> {
  const r = await client.query<{ oid: number; column: string; grants: Grant[] | null }>(
    `SELECT a.attrelid::int8::float8 AS oid, a.attname AS column,
            (SELECT json_agg(json_build_object('grantee', CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee) END,
                    'privilege', x.privilege_type, 'grantable', x.is_grantable) ORDER BY x.grantee, x.privilege_type)
               FROM aclexplode(a.attacl) x) AS grants
       FROM pg_attribute a
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL`,
    [relations],
  )
  return r.rows.map((x) => ({ oid: x.oid, column: x.column, grants: x.grants ?? [] }))
}
