/**
 * Creating a migrated database on the target: `CREATE DATABASE` from template0 with the source's
 * encoding and locale (and ICU / builtin provider where both sides have it); when the target lacks
 * that locale, the database is created with the encoding only and a warning.
 */
import type pg from 'pg'
import type { DatabaseInfo } from '../catalog/databases.js'
import { messageOf, sqlStateOf } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'

/** Whether a database exists on the server `client` is connected to. */
export async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const r = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])
  return r.rowCount === 1
}

/** Create `name` on the target unless it exists; returns true when it was created. */
export async function ensureTargetDatabase(
  target: pg.Client,
  targetMajor: number,
  name: string,
  source: DatabaseInfo | undefined,
  warn: (code: string, message: string, object: string) => void,
): Promise<boolean> {
  if (await databaseExists(target, name)) return false
  const q = quoteIdent(name)
  const base = `CREATE DATABASE ${q} TEMPLATE template0`
  if (source === undefined) {
    await target.query(base)
    return true
  }
  let locale = ` LC_COLLATE ${quoteLiteral(source.collate)} LC_CTYPE ${quoteLiteral(source.ctype)}`
  if (source.localeProvider === 'i' && source.locale !== null && targetMajor >= 15)
    locale += ` LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(source.locale)}`
  else if (source.localeProvider === 'b' && source.locale !== null && targetMajor >= 17)
    locale += ` LOCALE_PROVIDER builtin BUILTIN_LOCALE ${quoteLiteral(source.locale)}`
  const encoding = ` ENCODING ${quoteLiteral(source.encoding)}`
  try {
    await target.query(base + encoding + locale)
  } catch (e) {
    // only the locale may be at fault: a cancel (Ctrl-C), a lost connection or a lock is not
    if (!localeRejected(e)) throw e
    warn(
      'PGFERRY_SCHEMA_DATABASE_LOCALE',
      `database ${name}: the source's locale could not be used on the target (${messageOf(e)}); created with encoding ${source.encoding} and the target's default locale`,
      name,
    )
    await target.query(base + encoding)
  }
  return true
}

/**
 * Whether `CREATE DATABASE` failed on its locale clauses: the server names a locale it lacks
 * (42809), one incompatible with the template or encoding (22023), or a provider it was not built
 * with (0A000), each a class 22, 42 or 0A error.
 */
function localeRejected(error: unknown): boolean {
  const state = sqlStateOf(error)
  return state !== undefined && /^(22|42|0A)/.test(state)
}
