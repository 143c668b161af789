/**
 * What the connected role may not read: CONNECT on databases, USAGE on schemas, SELECT on tables
 * and sequences, SELECT on large objects. Each is one query over every object of a database,
 * through the server's own has_*_privilege functions (so role membership, PUBLIC grants and
 * superuser are counted exactly as the server will count them). All versions ≥ 10.
 */
import type pg from 'pg'

/** The named databases the connected role lacks CONNECT on (v10+). */
export async function readDatabasesWithoutConnect(
  client: pg.Client,
  names: readonly string[],
): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT datname AS name FROM pg_database
      WHERE datname = ANY($1::text[]) AND NOT has_database_privilege(oid, 'CONNECT') ORDER BY 1`,
    [names],
  )
  return r.rows.map((x) => x.name)
}

/** A relation the role cannot SELECT. */
export interface UnreadableRelation {
  readonly schema: string
  readonly name: string
  /** `S` for a sequence, else a table kind. */
  readonly kind: string
}

/** Schemas without USAGE and relations without SELECT, among the given ones (v10+). */
export async function readMissingReadPrivileges(
  client: pg.Client,
  schemas: readonly string[],
  relOids: readonly number[],
): Promise<{ schemas: string[]; relations: UnreadableRelation[] }> {
  const s = await client.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace
      WHERE nspname = ANY($1::text[]) AND NOT has_schema_privilege(oid, 'USAGE') ORDER BY 1`,
    [schemas],
  )
  const r = await client.query<UnreadableRelation>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[])
        AND NOT CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT')
                     ELSE has_table_privilege(c.oid, 'SELECT') END
      ORDER BY 1, 2`,
    [relOids],
  )
  return { schemas: s.rows.map((x) => x.name), relations: r.rows }
}

/**
 * Large objects of the connected database the role cannot read (v10+). Nothing when the role is a
 * superuser or `lo_compat_privileges` is on (then every large object is readable). A NULL `lomacl`
 * means the owner's default privileges (`acldefault('L', owner)`).
 */
export async function readUnreadableLargeObjects(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ oid: string }>(
    `SELECT m.oid::text AS oid FROM pg_largeobject_metadata m
      WHERE current_setting('lo_compat_privileges')::bool IS NOT TRUE
        AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
        AND NOT pg_has_role(m.lomowner, 'USAGE')
        AND NOT EXISTS (
          SELECT 1 FROM aclexplode(coalesce(m.lomacl, acldefault('L', m.lomowner))) a
           WHERE a.privilege_type = 'SELECT'
             AND CASE WHEN a.grantee = 0 THEN true ELSE pg_has_role(a.grantee, 'USAGE') END)
      ORDER BY m.oid`,
  )
  return r.rows.map((x) => x.oid)
}
