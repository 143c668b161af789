/**
 * Default privileges (`ALTER DEFAULT PRIVILEGES`) of the current database, exploded into grants,
 * one query. Versions ≥ 10 (object type `n`, schemas, from v10).
 */
import type pg from 'pg'
import type { Grant } from './acls.js'

/** One `pg_default_acl` entry. */
export interface DefaultPrivilegeInfo {
  readonly oid: number
  /** The role whose future objects get these privileges. */
  readonly role: string
  /** Schema it is limited to; null for the whole database. */
  readonly schema: string | null
  /** `r` tables, `S` sequences, `f` functions, `T` types, `n` schemas. */
  readonly objectType: 'r' | 'S' | 'f' | 'T' | 'n'
  readonly grants: readonly Grant[]
}

/** Read every default-privileges entry. */
export async function readDefaultPrivileges(client: pg.Client): Promise<DefaultPrivilegeInfo[]> {
  const r = await client.query<{
    oid: number
    role: string
    schema: string | null
    type: DefaultPrivilegeInfo['objectType']
    grants: Grant[] | null
  }>(
    `SELECT d.oid::int8::float8 AS oid, pg_get_userbyid(d.defaclrole) AS role, n.nspname AS schema,
            d.defaclobjtype::text AS type,
            (SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,
                    'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.grantee, a.privilege_type)
               FROM aclexplode(d.defaclacl) a) AS grants
       FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
      ORDER BY 2, 3, 4`,
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    role: x.role,
    schema: x.schema,
    objectType: x.type,
    grants: x.grants ?? [],
  }))
}
