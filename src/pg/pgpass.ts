/**
 * The password file, read as libpq reads it (`PGPASSFILE`, else `~/.pgpass`; ignored unless a
 * plain file that only its owner may read or write; `host:port:database:username:password` lines,
 * `*` matching anything, `\` escaping `:` and `\`; the first matching line wins). pgferry reads it
 * itself and hands the password to the driver, because pg's own lookup prints a DeprecationWarning
 * on stderr (pg 8.x: "pgpass support is deprecated") whenever it finds one.
 */
import { readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { registerSecret } from '../redact.js'

/** What a password file line is matched against. */
export interface PgpassKey {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
}

/** The fields of one line, unescaped; undefined for a comment, a blank or a short line. */
function fieldsOf(line: string): string[] | undefined {
  if (line.startsWith('#') || line.trim() === '') return undefined
  const fields: string[] = []
  let field = ''
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (ch === '\\' && i + 1 < line.length) field += line.charAt(++i)
    else if (ch === ':' && fields.length < 4) {
      fields.push(field)
      field = ''
    } else field += ch
  }
  fields.push(field)
  return fields.length === 5 ? fields : undefined
}

/** The password of the first line of `text` that matches `key`, or undefined. */
export function pgpassLookup(text: string, key: PgpassKey): string | undefined {
  const want = [key.host, String(key.port), key.database, key.user]
  for (const line of text.split(/\r?\n/)) {
    const f = fieldsOf(line)
    if (f === undefined) continue
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4]
  }
  return undefined
}

/** The password file's password for `key`, or undefined (no file, an unsafe file, no match). */
export function pgpassPassword(key: PgpassKey): string | undefined {
  const file = process.env.PGPASSFILE ?? path.join(os.homedir(), '.pgpass')
  try {
    const st = statSync(file)
    // libpq ignores a file others may read or write (and says so); so does pgferry
    if (!st.isFile() || (st.mode & 0o077) !== 0) return undefined
    const password = pgpassLookup(readFileSync(file, 'utf8'), key)
    if (password !== undefined) registerSecret(password)
    return password
  } catch {
    return undefined
  }
}
