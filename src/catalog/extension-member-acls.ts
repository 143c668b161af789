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

/** One catalog's extension members: `x` is its row, `keyword`, `name` and `owner` SQL over it. */
interface MemberCatalog {
  readonly catalog: 'pg_proc' | 'pg_class' | 'pg_type'
  readonly keyword: string
  readonly name: string
  readonly owner: string
  readonly namespace: string
  readonly acl: string
}

const CATALOGS: readonly MemberCatalog[] = [
  {
    catalog: 'pg_proc',
    keyword: `CASE WHEN x.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END`,
    name: `format('%I(%s)', x.proname, pg_get_function_identity_arguments(x.oid))`,
    owner: 'x.proowner',
    namespace: 'x.pronamespace',
    acl: 'x.proacl',
  },
  {
    catalog: 'pg_class',
    keyword: `CASE WHEN x.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END`,
    name: 'quote_ident(x.relname)',
    owner: 'x.relowner',
    namespace: 'x.relnamespace',
    acl: 'x.relacl',
  },
  {
    catalog: 'pg_type',
    keyword: `'TYPE'`,
    name: 'quote_ident(x.typname)',
    owner: 'x.typowner',
    namespace: 'x.typnamespace',
    acl: 'x.typacl',
  },
]

const members = (c: MemberCatalog): string =>
  `SELECT e.extname AS extension, ${c.keyword} AS keyword, n.nspname AS schema, ${c.name} AS name,
          pg_get_userbyid(${c.owner}) AS owner, ${GRANTS(c.acl)} AS grants,
          ${INITIAL_GRANTEES} AS "initialGrantees"
     FROM pg_depend d
     JOIN pg_extension e ON e.oid = d.refobjid
     JOIN ${c.catalog} x ON x.oid = d.objid
     JOIN pg_namespace n ON n.oid = ${c.namespace}
     LEFT JOIN pg_init_privs i ON i.classoid = '${c.catalog}'::regclass AND i.objoid = x.oid AND i.objsubid = 0
    WHERE d.classid = '${c.catalog}'::regclass AND d.refclassid = 'pg_extension'::regclass
      AND d.deptype = 'e' AND ${c.acl} IS NOT NULL AND ${c.acl} IS DISTINCT FROM i.initprivs`

/** Members of the database's extensions whose ACL is not their initial one. */
export async function readExtensionMemberAcls(client: pg.Client): Promise<ExtensionMemberAcl[]> {
  const r = await client.query<ExtensionMemberAcl>(
    `${CATALOGS.map(members).join('\n UNION ALL\n')}\n ORDER BY 1, 3, 4`,
  )
  return r.rows
}
