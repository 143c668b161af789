/**
 * Roles and memberships of a cluster. Password hashes come from `pg_authid`, which only a superuser
 * can read; otherwise `pg_roles` (no passwords). Versions ≥ 10; membership options `inherit` and
 * `set` from v16 (`pg_auth_members.inherit_option`, `set_option`).
 */
import type pg from 'pg'

/** One role. */
export interface RoleInfo {
  readonly oid: number
  readonly name: string
  readonly superuser: boolean
  readonly inherit: boolean
  readonly createRole: boolean
  readonly createDb: boolean
  readonly login: boolean
  readonly replication: boolean
  readonly bypassRls: boolean
  readonly connectionLimit: number
  readonly validUntil: string | null
  /** The password hash; `undefined` when it could not be read, `null` when the role has none. */
  readonly password: string | null | undefined
  /** Settings for every database (`ALTER ROLE … SET`). */
  readonly config: readonly string[]
}

/** One membership: `member` is granted `role`. */
export interface MembershipInfo {
  readonly role: string
  readonly member: string
  readonly admin: boolean
  /** v16+: `INHERIT` and `SET` options; null before. */
  readonly inherit: boolean | null
  readonly set: boolean | null
}

/** Read every role except the predefined `pg_*` ones. `withPasswords` reads pg_authid. */
export async function readRoles(client: pg.Client, withPasswords: boolean): Promise<RoleInfo[]> {
  const table = withPasswords ? 'pg_authid' : 'pg_roles'
  const r = await client.query<{
    oid: number
    name: string
    su: boolean
    inh: boolean
    cr: boolean
    cd: boolean
    login: boolean
    repl: boolean
    bypass: boolean
    connlimit: number
    until: string | null
    password: string | null
    config: string[] | null
  }>(
    `SELECT a.oid::int8::float8 AS oid, a.rolname AS name, a.rolsuper AS su, a.rolinherit AS inh,
            a.rolcreaterole AS cr, a.rolcreatedb AS cd, a.rolcanlogin AS login, a.rolreplication AS repl,
            a.rolbypassrls AS bypass, a.rolconnlimit AS connlimit, a.rolvaliduntil::text AS until,
            ${withPasswords ? 'a.rolpassword' : 'NULL::text'} AS password,
            (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = a.oid AND s.setdatabase = 0) AS config
       FROM ${table} a WHERE a.rolname !~ '^pg_' ORDER BY a.rolname`,
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    name: x.name,
    superuser: x.su,
    inherit: x.inh,
    createRole: x.cr,
    createDb: x.cd,
    login: x.login,
    replication: x.repl,
    bypassRls: x.bypass,
    connectionLimit: x.connlimit,
    validUntil: x.until,
    password: withPasswords ? x.password : undefined,
    config: x.config ?? [],
  }))
}

/** Read memberships between non-predefined roles, and grants of predefined roles to others. */
export async function readMemberships(client: pg.Client, major: number): Promise<MembershipInfo[]> {
  const opts =
    major >= 16
      ? `m.inherit_option AS inherit, m.set_option AS set`
      : `NULL AS inherit, NULL AS set`
  const r = await client.query<MembershipInfo & { admin: boolean }>(
    `SELECT pg_get_userbyid(m.roleid) AS role, pg_get_userbyid(m.member) AS member,
            m.admin_option AS admin, ${opts}
       FROM pg_auth_members m
      WHERE pg_get_userbyid(m.member) !~ '^pg_'
      ORDER BY 1, 2`,
  )
  return r.rows
}

/** Whether the connected user can read pg_authid (superuser). */
export async function canReadPasswords(client: pg.Client): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>(
    `SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS ok`,
  )
  return r.rows[0]?.ok === true
}
