/**
 * The connected role's attributes (what it may do), and the role names of an instance. All
 * versions ≥ 10.
 */
import type pg from 'pg'

/**
 * Managed-service roles whose members may create replication slots without the REPLICATION
 * attribute: Amazon RDS / Aurora grant it through `rds_replication` (and `rds_superuser`, which is a
 * member of it). Azure and Cloud SQL need the attribute itself (`ALTER ROLE … REPLICATION`).
 */
export const MANAGED_REPLICATION_ROLES = ['rds_replication', 'rds_superuser'] as const

/** What the connected role may do. */
export interface RoleAttributes {
  readonly name: string
  readonly superuser: boolean
  readonly replication: boolean
  readonly createdb: boolean
  readonly createrole: boolean
  /** Member of one of {@link MANAGED_REPLICATION_ROLES}. */
  readonly managedReplication: boolean
}

/** The attributes of `current_user` (v10+). */
export async function readCurrentRoleAttributes(client: pg.Client): Promise<RoleAttributes> {
  const r = await client.query<RoleAttributes>(
    `SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolreplication AS replication,
            r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
            EXISTS (SELECT 1 FROM pg_roles m WHERE m.rolname = ANY($1::text[])
                     AND pg_has_role(r.oid, m.oid, 'MEMBER')) AS "managedReplication"
       FROM pg_roles r WHERE r.rolname = current_user`,
    [MANAGED_REPLICATION_ROLES],
  )
  const row = r.rows[0]
  if (row === undefined) throw new Error('current_user has no pg_roles row')
  return row
}

/**
 * Names of the roles an `instance` migration would create: every role but the predefined `pg_*`
 * roles and the bootstrap superuser (oid 10, which every cluster has under some name). v10+.
 */
export async function listInstanceRoleNames(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT rolname AS name FROM pg_roles WHERE rolname !~ '^pg_' AND oid <> 10 ORDER BY 1`,
  )
  return r.rows.map((x) => x.name)
}
