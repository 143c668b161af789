/**
 * Permission denied on the store. The store schema belongs to whoever made it first; another user
 * (a second target user, a colleague's task) may use it once its owner grants the rights, which
 * the fix spells out.
 */
import { PgferryError } from '../errors.js'
import { quoteIdent } from '../pg/quote.js'

/** Where a store lives and who uses it (never a password). */
export interface StoreLocation {
  /** The schema name, unquoted. */
  readonly schema: string
  readonly database: string
  readonly user: string
}

/** The error for a denied store query; `owner` is the schema's owner when it could be read. */
export function storeDenied(
  error: unknown,
  where: StoreLocation,
  owner: string | undefined,
): PgferryError {
  const schema = quoteIdent(where.schema)
  const user = quoteIdent(where.user)
  const grants = [
    `-- as ${owner === undefined ? 'the owner of the store schema' : quoteIdent(owner)} or a superuser, in database ${quoteIdent(where.database)}:`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${user};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${user};`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${user};`,
  ]
  return new PgferryError(
    'PGFERRY_STORE_FAILED',
    `progress store ${where.schema} in database ${where.database}: ${(error as Error).message}${owner === undefined ? '' : ` (the schema belongs to ${owner})`}`,
    {
      cause: error,
      retryable: false,
      fix: [
        ...grants,
        `-- or give the task a store schema of its own: createTask({ store: new PgStore(target, { schema: ... }) })`,
      ].join('\n'),
      cliFix: grants.join('\n'),
    },
  )
}
