/**
 * Privileges the database changed on objects that belong to an extension. `CREATE EXTENSION` on
 * the target recreates its members with the extension's initial privileges (pg_init_privs), so
 * what must be carried is where the current ACL differs from them, as pg_dump does. Functions
 * (procedures, aggregates), relations (tables, views, sequences, …) and types; not column
 * privileges. v10+ (pg_init_privs is 9.6+).
 */
import type pg from 'pg'
import type { Grant } from './acls.js'

/** One extension member whose ACL differs from its initial privileges. */
export interface ExtensionMemberAcl {
  readonly extension: string
  /** `FUNCTION`, `PROCEDURE`, `TABLE`, `SEQUENCE` or `TYPE`: the GRANT keyword. */
  readonly keyword: string
  readonly schema: string
  /** The name; for a routine with its identity arguments: `digest(text, text)`, quoted as needed. */
  readonly name: string
  readonly owner: string
  /** The current ACL exploded (an empty list: everything revoked). */
  readonly grants: readonly Grant[]
  /** Roles named in the initial privileges (`null` for PUBLIC): their grants are revoked first. */
  readonly initialGrantees: readonly (string | null)[]
}

const GRANTS = (acl: string) => `(SELECT coalesce(json_agg(json_build_object('grantee',
    CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,
    'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.grantee, a.privilege_type), '[]')
    FROM aclexplode(${acl}) a)`

const INITIAL_GRANTEES = `(SELECT coalesce(json_agg(DISTINCT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END), '[]')
    FROM aclexplode(i.initprivs) a)`

/** Members of the database's extensions whose ACL is not their initial one. */
export async function readExtensionMemberAcls(client: pg.Client): Promise<ExtensionMemberAcl[]> {
  const r = await client.query<ExtensionMemberAcl>(
    `SELECT e.extname AS extension,
            CASE WHEN p.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS keyword,
            n.nspname AS schema,
            format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS name,
            pg_get_userbyid(p.proowner) AS owner,
            ${GRANTS('p.proacl')} AS grants, ${INITIAL_GRANTEES} AS "initialGrantees"
       FROM pg_depend d
       JOIN pg_extension e ON e.oid = d.refobjid
       JOIN pg_proc p ON p.oid = d.objid
       JOIN pg_namespace n ON n.oid = p.pronamespace
       LEFT JOIN pg_init_privs i ON i.classoid = 'pg_proc'::regclass AND i.objoid = p.oid AND i.objsubid = 0
      WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND p.proacl IS NOT NULL AND p.proacl IS DISTINCT FROM i.initprivs
     UNION ALL
     SELECT e.extname, CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
            n.nspname, quote_ident(c.relname), pg_get_userbyid(c.relowner),
            ${GRANTS('c.relacl')}, ${INITIAL_GRANTEES}
       FROM pg_depend d
       JOIN pg_extension e ON e.oid = d.refobjid
       JOIN pg_class c ON c.oid = d.objid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_init_privs i ON i.classoid = 'pg_class'::regclass AND i.objoid = c.oid AND i.objsubid = 0
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND c.relacl IS NOT NULL AND c.relacl IS DISTINCT FROM i.initprivs
     UNION ALL
     SELECT e.extname, 'TYPE', n.nspname, quote_ident(t.typname), pg_get_userbyid(t.typowner),
            ${GRANTS('t.typacl')}, ${INITIAL_GRANTEES}
       FROM pg_depend d
       JOIN pg_extension e ON e.oid = d.refobjid
       JOIN pg_type t ON t.oid = d.objid
       JOIN pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_init_privs i ON i.classoid = 'pg_type'::regclass AND i.objoid = t.oid AND i.objsubid = 0
      WHERE d.classid = 'pg_type'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND t.typacl IS NOT NULL AND t.typacl IS DISTINCT FROM i.initprivs
      ORDER BY 1, 3, 4`,
  )
  return r.rows
}
