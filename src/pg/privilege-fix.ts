/**
 * The fix for a privilege failure (SQLSTATE 42501), read from the server's own words: the same
 * SQLSTATE covers a missing REPLICATION attribute, a missing CONNECT, CREATE on a database, table
 * ownership (CREATE PUBLICATION … FOR TABLE) and a missing SELECT, and each has its own fix.
 * Messages as PostgreSQL 12–18 word them (aclcheck_error and the walsender's checks).
 */
import { quoteIdent } from './quote.js'

/** The server error fields this reads. */
interface ServerError {
  readonly message?: string
  readonly detail?: string
}

/** SQL that names an object from a message: `schema.name` stays as the server printed it. */
const OBJECT = String.raw`"?([^"\s]+(?:\.[^"\s]+)?)"?`

/**
 * The fix for a 42501 failure of `role`, or undefined when the message is not one of the known
 * privilege failures.
 */
export function privilegeFix(error: unknown, role: string): string | undefined {
  const e = (error ?? {}) as ServerError
  const message = typeof e.message === 'string' ? e.message : ''
  const detail = typeof e.detail === 'string' ? e.detail : ''
  const who = quoteIdent(role)
  if (
    /replication role|start WAL sender|start walsender|REPLICATION attribute/i.test(message) ||
    /REPLICATION attribute/i.test(detail)
  )
    return `ALTER ROLE ${who} REPLICATION;  -- on the source: a replication connection needs the REPLICATION attribute`
  let m = new RegExp(String.raw`permission denied for database ${OBJECT}`, 'i').exec(message)
  if (m !== null) {
    const db = quoteIdent(m[1] ?? '')
    return /CONNECT privilege/i.test(detail) || /"/.test(message)
      ? `GRANT CONNECT ON DATABASE ${db} TO ${who};`
      : `GRANT CREATE ON DATABASE ${db} TO ${who};  -- CREATE PUBLICATION needs CREATE on the database`
  }
  m = new RegExp(String.raw`must be owner of (?:table|relation) ${OBJECT}`, 'i').exec(message)
  if (m !== null)
    return (
      `CREATE PUBLICATION … FOR TABLE needs ownership of ${m[1] ?? '?'}: make ${who} a member of ` +
      `its owner (GRANT <owner> TO ${who};), or have the owner create the publication and pass ` +
      `its name as the task option 'publication'`
    )
  if (/must be superuser to create FOR ALL TABLES/i.test(message))
    return `a publication FOR ALL TABLES needs a superuser: select the tables, or pass a publication a superuser created as the task option 'publication'`
  m = new RegExp(
    String.raw`permission denied for (table|relation|view|sequence) ${OBJECT}`,
    'i',
  ).exec(message)
  if (m !== null) {
    const kind = m[1]?.toLowerCase() === 'sequence' ? 'SEQUENCE' : 'TABLE'
    return `GRANT SELECT ON ${kind} ${m[2] ?? '?'} TO ${who};`
  }
  m = new RegExp(String.raw`permission denied for schema ${OBJECT}`, 'i').exec(message)
  if (m !== null) return `GRANT USAGE ON SCHEMA ${quoteIdent(m[1] ?? '')} TO ${who};`
  return undefined
}
