/**
 * Connection resolution: URL or config object → a frozen ResolvedConnection with every default
 * applied. Passwords are kept out of the resolved object (pg/passwords.ts holds them), so logging or
 * storing a resolved config never leaks one.
 */
import { parse as parseUrl } from 'pg-connection-string'
import { holdPassword } from '../pg/passwords.js'
import { invalid, isRecord } from './config-checks.js'
import type { ConnectionConfig, ConnectionInput } from '../model/task-config.js'
import {
  DEFAULT_APPLICATION_NAME,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PORT,
  type ResolvedConnection,
  type SslMode,
} from '../model/resolved-connection.js'
import { isSslMode, SSL_MODES, sslForMode } from './resolve-ssl.js'

/** Resolve one connection; `field` is `source` or `target`. */
export function resolveConnection(
  input: ConnectionInput | undefined,
  field: string,
): ResolvedConnection {
  if (input === undefined || input === null) {
    throw invalid(
      field,
      'is missing',
      `give a URL like 'postgres://user@host:5432/db' or { host, user, database }`,
    )
  }
  const cfg: ConnectionConfig =
    typeof input === 'string'
      ? fromUrl(input, field)
      : isRecord(input)
        ? input
        : notAConnection(field)
  const env = process.env
  const port = cfg.port ?? (env.PGPORT ? Number(env.PGPORT) : DEFAULT_PORT)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(
      `${field}.port`,
      `${String(cfg.port)} is not a TCP port`,
      'use an integer between 1 and 65535',
    )
  }
  for (const key of ['host', 'user', 'database'] as const) {
    const v = cfg[key]
    if (v !== undefined && typeof v !== 'string') {
      throw invalid(`${field}.${key}`, 'must be a string', `pass ${key} as a string`)
    }
  }
  const timeout = cfg.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw invalid(`${field}.connectionTimeoutMillis`, 'must be a positive number', 'e.g. 10000')
  }
  const password = cfg.password ?? env.PGPASSWORD
  if (password !== undefined && typeof password !== 'string' && typeof password !== 'function') {
    throw invalid(
      `${field}.password`,
      'must be a string or a function',
      'pass the password as a string',
    )
  }
  if (cfg.sslmode !== undefined && !isSslMode(cfg.sslmode)) {
    throw invalid(
      `${field}.sslmode`,
      `'${String(cfg.sslmode)}' is not an sslmode`,
      `use one of ${SSL_MODES.join(', ')}`,
    )
  }
  const ssl =
    cfg.ssl ?? (cfg.sslmode === undefined ? false : sslForMode(cfg.sslmode, cfg.sslrootcert, field))
  const resolved: ResolvedConnection = Object.freeze({
    host: cfg.host ?? env.PGHOST ?? 'localhost',
    port,
    user: cfg.user ?? env.PGUSER ?? 'postgres',
    database: cfg.database ?? env.PGDATABASE ?? 'postgres',
    ssl: typeof ssl === 'object' ? Object.freeze({ ...ssl }) : ssl,
    sslMode: cfg.ssl === undefined ? cfg.sslmode : undefined,
    sslRootCert: cfg.ssl === undefined ? cfg.sslrootcert : undefined,
    connectionTimeoutMillis: timeout,
    applicationName: cfg.application_name ?? DEFAULT_APPLICATION_NAME,
    hasPassword: password !== undefined,
  })
  if (password !== undefined) holdPassword(resolved, password)
  return resolved
}

/** A `postgres://` URL as a connection config (only what it sets). */
function fromUrl(input: string, field: string): ConnectionConfig {
  if (!/^postgres(ql)?:\/\//i.test(input)) {
    throw invalid(
      field,
      'is not a postgres:// URL',
      `use 'postgres://user:password@host:port/database'`,
    )
  }
  // sslmode and sslrootcert are read here, with libpq's meaning (resolve-ssl.ts), not by the
  // driver's parser, which gives them its own and warns about that on stderr
  let sslmode: string | undefined
  let sslrootcert: string | undefined
  let rest = input
  let parsed: ReturnType<typeof parseUrl>
  try {
    const url = new URL(input)
    sslmode = url.searchParams.get('sslmode') ?? undefined
    sslrootcert = url.searchParams.get('sslrootcert') ?? undefined
    if (sslmode !== undefined || sslrootcert !== undefined) {
      url.searchParams.delete('sslmode')
      url.searchParams.delete('sslrootcert')
      rest = url.toString()
    }
    parsed = parseUrl(rest)
  } catch {
    throw invalid(
      field,
      'is not a valid connection URL',
      `use 'postgres://user:password@host:port/database'`,
    )
  }
  const port = parsed.port == null || parsed.port === '' ? undefined : Number(parsed.port)
  return {
    ...(parsed.host != null && parsed.host !== '' ? { host: parsed.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(parsed.user ? { user: decodeURIComponent(parsed.user) } : {}),
    ...(parsed.password ? { password: parsed.password } : {}),
    ...(parsed.database ? { database: parsed.database } : {}),
    ...(parsed.ssl !== undefined && typeof parsed.ssl !== 'string' && sslmode === undefined
      ? { ssl: parsed.ssl as boolean | Record<string, unknown> }
      : {}),
    ...(sslmode !== undefined ? { sslmode: sslmode as SslMode } : {}),
    ...(sslrootcert !== undefined ? { sslrootcert } : {}),
    ...(typeof parsed.application_name === 'string'
      ? { application_name: parsed.application_name }
      : {}),
  }
}

function notAConnection(field: string): never {
  throw invalid(
    field,
    'must be a URL string or a connection object',
    `pass { host, port, user, password, database }`,
  )
}
