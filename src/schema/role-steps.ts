/**
 * Roles and memberships for an `instance` task: attributes, settings, comments, password hashes
 * when the source user can read pg_authid (otherwise a warning per role, created without a
 * password). The bootstrap superuser and the target's own user are never touched; a role that
 * already exists on the target gets the source's attributes.
 */
import type pg from 'pg'
import type { CommentMap } from '../catalog/comments.js'
import { commentKey } from '../catalog/comments.js'
import { canReadPasswords, readMemberships, readRoles, type RoleInfo } from '../catalog/roles.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import type { DdlStep } from './ddl-step.js'
import { settingValue } from './namespace-steps.js'

/** The bootstrap superuser's oid (BOOTSTRAP_SUPERUSERID). */
const BOOTSTRAP_SUPERUSER = 10

function attributes(r: RoleInfo): string {
  const a = [
    r.superuser ? 'SUPERUSER' : 'NOSUPERUSER',
    r.inherit ? 'INHERIT' : 'NOINHERIT',
    r.createRole ? 'CREATEROLE' : 'NOCREATEROLE',
    r.createDb ? 'CREATEDB' : 'NOCREATEDB',
    r.login ? 'LOGIN' : 'NOLOGIN',
    r.replication ? 'REPLICATION' : 'NOREPLICATION',
    r.bypassRls ? 'BYPASSRLS' : 'NOBYPASSRLS',
    `CONNECTION LIMIT ${r.connectionLimit}`,
  ]
  if (r.validUntil !== null) a.push(`VALID UNTIL ${quoteLiteral(r.validUntil)}`)
  if (typeof r.password === 'string') a.push(`PASSWORD ${quoteLiteral(r.password)}`)
  return a.join(' ')
}

/** The role steps, and the names of the roles that will exist on the target afterwards. */
export async function planRoles(
  source: pg.Client,
  sourceMajor: number,
  targetMajor: number,
  targetUser: string,
  targetRoles: ReadonlySet<string>,
  comments: CommentMap,
  warn: (code: string, message: string, object: string) => void,
): Promise<{ steps: DdlStep[]; roles: Set<string> }> {
  const withPasswords = await canReadPasswords(source)
  const roles = (await readRoles(source, withPasswords)).filter(
    (r) => r.oid !== BOOTSTRAP_SUPERUSER && r.name !== targetUser,
  )
  const all = new Set(targetRoles)
  const steps: DdlStep[] = []
  for (const r of roles) {
    const q = quoteIdent(r.name)
    if (!withPasswords && r.login)
      warn(
        'PGFERRY_SCHEMA_ROLE_PASSWORD',
        `role ${r.name}: the source user cannot read pg_authid, so the role is created without a password`,
        r.name,
      )
    const sql = [
      targetRoles.has(r.name)
        ? `ALTER ROLE ${q} WITH ${attributes(r)}`
        : `CREATE ROLE ${q} WITH ${attributes(r)}`,
    ]
    for (const c of r.config) {
      const i = c.indexOf('=')
      sql.push(
        `ALTER ROLE ${q} SET ${quoteIdent(c.slice(0, i))} = ${settingValue(c.slice(0, i), c.slice(i + 1))}`,
      )
    }
    const comment = comments.get(commentKey('pg_authid', r.oid))
    if (comment !== undefined) sql.push(`COMMENT ON ROLE ${q} IS ${quoteLiteral(comment)}`)
    steps.push({
      key: `role:${q}`,
      kind: 'role',
      name: q,
      phase: 'pre-data',
      dependsOn: [],
      relations: [],
      sql,
    })
    all.add(r.name)
  }
  for (const m of await readMemberships(source, sourceMajor)) {
    if (!all.has(m.member) || !all.has(m.role)) {
      warn(
        'PGFERRY_SCHEMA_MEMBERSHIP_SKIPPED',
        `membership of ${m.member} in ${m.role} not created: ${all.has(m.role) ? m.member : m.role} does not exist on the target`,
        `${m.role} → ${m.member}`,
      )
      continue
    }
    if (m.member === targetUser) continue
    const opts: string[] = []
    if (targetMajor >= 16) {
      if (m.admin) opts.push('ADMIN TRUE')
      if (m.inherit === false) opts.push('INHERIT FALSE')
      if (m.set === false) opts.push('SET FALSE')
    } else if (m.admin) opts.push('ADMIN OPTION')
    const key = `membership:${quoteIdent(m.role)}.${quoteIdent(m.member)}`
    steps.push({
      key,
      kind: 'membership',
      name: `${m.role} → ${m.member}`,
      phase: 'pre-data',
      dependsOn: [],
      relations: [],
      sql: [
        `GRANT ${quoteIdent(m.role)} TO ${quoteIdent(m.member)}${opts.length > 0 ? ` WITH ${opts.join(', ')}` : ''}`,
      ],
    })
  }
  return { steps, roles: all }
}
