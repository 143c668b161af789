/**
 * Connections from the command line: a postgres:// URL per side, with the password either in the
 * URL or in an environment variable (PGFERRY_SOURCE_PASSWORD / PGFERRY_TARGET_PASSWORD), the way
 * PGPASSWORD works for libpq. The result is still a URL, so that the library parses `sslmode` and
 * the rest exactly as it does for a caller of the API.
 */
import type { SecretFilter } from './secret-filter.js'
import { UsageError } from './usage-error.js'

/** Environment variables holding each side's password. */
export const PASSWORD_ENV = {
  source: 'PGFERRY_SOURCE_PASSWORD',
  target: 'PGFERRY_TARGET_PASSWORD',
} as const

/**
 * The URL to hand to the library for `side`, given the `--source`/`--target` value. Registers the
 * password with `secrets`. Throws a UsageError naming the flag when the URL is missing or invalid.
 */
export function cliConnection(
  side: 'source' | 'target',
  url: string | undefined,
  secrets: SecretFilter,
  command: string,
): string {
  const flag = `--${side}`
  if (url === undefined || url === '') {
    throw new UsageError(`missing ${flag} (a postgres://user@host:port/database URL)`, command)
  }
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new UsageError(
      `${flag} must be a postgres:// URL, like postgres://user@host:5432/db`,
      command,
    )
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`${flag} is not a valid URL`, command)
  }
  const fromUrl = parsed.password === '' ? undefined : decodeURIComponent(parsed.password)
  secrets.add(fromUrl)
  secrets.add(parsed.password === '' ? undefined : parsed.password)
  if (fromUrl !== undefined) return url
  const fromEnv = process.env[PASSWORD_ENV[side]]
  if (fromEnv === undefined || fromEnv === '') return url
  secrets.add(fromEnv)
  if (parsed.username === '') {
    throw new UsageError(
      `${flag} needs a user name in the URL when ${PASSWORD_ENV[side]} is set (postgres://user@host/db)`,
      command,
    )
  }
  // the URL setter leaves '%' alone, so the encoded form survives and the library decodes it once
  parsed.password = encodeURIComponent(fromEnv)
  return parsed.toString()
}
