/**
 * Connections from the command line: a postgres:// URL per side (`--source`/`--target`, else the
 * PGFERRY_SOURCE / PGFERRY_TARGET environment variables), with the password in the URL, in
 * PGFERRY_SOURCE_PASSWORD / PGFERRY_TARGET_PASSWORD (the way PGPASSWORD works for libpq), or in a
 * file (`--source-password-file` / `--target-password-file`). The result is still a URL, so that
 * the library parses `sslmode` and the rest exactly as it does for a caller of the API.
 */
import { readFileSync } from 'node:fs'
import type { Flags } from './parse-command-line.js'
import type { SecretFilter } from './secret-filter.js'
import { UsageError } from './usage-error.js'

/** Environment variables holding each side's password. */
export const PASSWORD_ENV = {
  source: 'PGFERRY_SOURCE_PASSWORD',
  target: 'PGFERRY_TARGET_PASSWORD',
} as const

/** Environment variables holding each side's URL, for when the flag is not given. */
export const URL_ENV = {
  source: 'PGFERRY_SOURCE',
  target: 'PGFERRY_TARGET',
} as const

/** The `--source`/`--target` URL, else its environment variable; undefined when neither is set. */
export function urlFromFlags(flags: Flags, side: 'source' | 'target'): string | undefined {
  const env = process.env[URL_ENV[side]]
  return flags.string(side) ?? (env === '' ? undefined : env)
}

/**
 * The password for `side` from its environment variable or its `--…-password-file` (the file's
 * first line); undefined when neither gives one. Registers it with `secrets`.
 */
export function givenPassword(
  side: 'source' | 'target',
  secrets: SecretFilter,
  command: string,
  flags?: Flags,
): string | undefined {
  const file = flags?.string(`${side}-password-file`)
  let password: string | undefined
  if (file !== undefined) {
    try {
      password = readFileSync(file, 'utf8').split(/\r?\n/)[0]
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      throw new UsageError(`--${side}-password-file ${file}: ${why}`, command)
    }
  } else {
    password = process.env[PASSWORD_ENV[side]]
  }
  if (password === undefined || password === '') return undefined
  secrets.add(password)
  return password
}

/**
 * The URL to hand to the library for `side`, given the `--source`/`--target` value. Registers the
 * password with `secrets`. Throws a UsageError naming the flag when the URL is missing or invalid.
 */
export function cliConnection(
  side: 'source' | 'target',
  url: string | undefined,
  secrets: SecretFilter,
  command: string,
  flags?: Flags,
): string {
  const flag = `--${side}`
  const env = process.env[URL_ENV[side]]
  const given = url ?? (env === '' ? undefined : env)
  if (given === undefined || given === '') {
    throw new UsageError(
      `missing ${flag} (a postgres://user@host:port/database URL; or set ${URL_ENV[side]})`,
      command,
    )
  }
  if (!/^postgres(ql)?:\/\//i.test(given)) {
    throw new UsageError(
      `${flag} must be a postgres:// URL, like postgres://user@host:5432/db`,
      command,
    )
  }
  let parsed: URL
  try {
    parsed = new URL(given)
  } catch {
    throw new UsageError(`${flag} is not a valid URL`, command)
  }
  const fromUrl = parsed.password === '' ? undefined : decodeURIComponent(parsed.password)
  secrets.add(fromUrl)
  secrets.add(parsed.password === '' ? undefined : parsed.password)
  if (fromUrl !== undefined) return given
  const password = givenPassword(side, secrets, command, flags)
  if (password === undefined) return given
  if (parsed.username === '') {
    throw new UsageError(
      `${flag} needs a user name in the URL when its password is given apart (postgres://user@host/db)`,
      command,
    )
  }
  // the URL setter leaves '%' alone, so the encoded form survives and the library decodes it once
  parsed.password = encodeURIComponent(password)
  return parsed.toString()
}
