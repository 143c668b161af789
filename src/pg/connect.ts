/**
 * Opening connections, and turning every way a connection can fail into an error that names the
 * cause and the fix, without the password or a connection string in it.
 */
import type { Duplex } from 'node:stream'
import pg from 'pg'
import { PgferryError, sqlStateOf } from '../errors.js'
import { quoteIdent } from './quote.js'
import { passwordOf } from './passwords.js'
import { pgpassPassword } from './pgpass.js'
import type { ResolvedConnection } from '../model/resolved-connection.js'
import type { ConnectOptions, Side } from '../model/stage.js'
import { privilegeFix } from './privilege-fix.js'
import { redact } from '../redact.js'
import { serverAcceptsSsl } from './ssl-probe.js'

/**
 * Idle time before TCP keepalive probes start on every client socket. Without keepalives a
 * statement waiting on a peer that vanished without FIN or RST (a NAT entry dropped, a host gone)
 * waits forever; with them the kernel ends the connection once its probes go unanswered, and the
 * statement fails as a lost connection. pg's own default (0) would leave the system's two hours.
 * The replication stream has its own, faster receive timeout (wal/receive-watchdog.ts).
 */
export const KEEPALIVE_IDLE_MS = 30_000

/** `user@host:port/database`, safe to print. */
export function describeConnection(conn: ResolvedConnection, database = conn.database): string {
  return `${conn.user}@${conn.host}:${conn.port}/${database}`
}

/** How to open a client: the public ConnectOptions that apply, and pgferry's own. */
export interface OpenOptions extends Pick<ConnectOptions, 'database' | 'replication'> {
  /**
   * Makes the unconnected plain socket that pg connects (TCP or Unix socket), as the COPY lanes'
   * `relaySocket()`. Used only without TLS: pg's TLS upgrade wraps the plain socket and reads
   * from it itself, so with TLS pg makes its own. Defaults to pg's own socket.
   */
  readonly socket?: () => Duplex
}

/** A `pg` client config for a resolved connection. */
export async function clientConfig(
  conn: ResolvedConnection,
  options: OpenOptions = {},
): Promise<pg.ClientConfig> {
  const database = options.database ?? conn.database
  // PGPASSWORD is the driver's own; the password file is read here, not by pg (see pgpass.ts)
  const password =
    (await passwordOf(conn)) ??
    (process.env.PGPASSWORD === undefined
      ? pgpassPassword({ host: conn.host, port: conn.port, database, user: conn.user })
      : undefined)
  const ssl = conn.sslMode === 'prefer' && !(await serverAcceptsSsl(conn)) ? false : conn.ssl
  return {
    host: conn.host,
    port: conn.port,
    user: conn.user,
    database,
    ssl: ssl as pg.ClientConfig['ssl'],
    connectionTimeoutMillis: conn.connectionTimeoutMillis,
    application_name: conn.applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    ...(password !== undefined ? { password } : {}),
    ...(options.replication !== undefined ? { replication: options.replication } : {}),
    ...(options.socket !== undefined && ssl === false ? { stream: options.socket } : {}),
  }
}

/** node's codes for a certificate TLS could not verify (self-signed, unknown CA, wrong host, expired). */
const TLS_UNVERIFIED =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED)$/

/** Map a connection failure to a PgferryError with a cause and a fix. */
export function connectError(
  error: unknown,
  conn: ResolvedConnection,
  side: Side,
  database = conn.database,
): PgferryError {
  const where = `${side} ${describeConnection(conn, database)}`
  const state = sqlStateOf(error)
  const sysCode = (error as { code?: unknown } | null)?.code
  const raw = error instanceof Error ? error.message : String(error)
  const opts = { side, cause: error } as const
  const rejected = rejectedError(state, raw, where, conn, opts)
  if (rejected !== undefined) return rejected
  if (typeof sysCode === 'string' && TLS_UNVERIFIED.test(sysCode)) {
    return new PgferryError(
      'PGFERRY_CONNECT_SSL_UNVERIFIED',
      `${where}: the server's SSL certificate could not be verified (${sysCode}: ${redact(raw)})`,
      {
        ...opts,
        fix: `give the certificate of the CA that signed the server's: ?sslmode=verify-full&sslrootcert=/path/to/root.crt in the ${side} URL (sslmode=require encrypts without checking the certificate)`,
      },
    )
  }
  if (state === '3D000') {
    return new PgferryError(
      'PGFERRY_CONNECT_DATABASE_MISSING',
      `${where}: database '${database}' does not exist`,
      {
        ...opts,
        fix:
          side === 'target'
            ? `CREATE DATABASE ${JSON.stringify(database)}; or connect to an existing database`
            : `check the database name`,
      },
    )
  }
  if (state === '42501') {
    return new PgferryError(
      'PGFERRY_CONNECT_PRIVILEGE',
      `${where}: permission denied: ${redact(raw)}`,
      {
        ...opts,
        fix:
          privilegeFix(error, conn.user) ??
          `GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(conn.user)};`,
      },
    )
  }
  if (
    sysCode === 'ECONNREFUSED' ||
    sysCode === 'ENOTFOUND' ||
    sysCode === 'EAI_AGAIN' ||
    sysCode === 'EHOSTUNREACH' ||
    sysCode === 'ETIMEDOUT' ||
    /timeout expired|Connection terminated due to connection timeout/i.test(raw)
  ) {
    return new PgferryError(
      'PGFERRY_CONNECT_UNREACHABLE',
      `${where}: server unreachable (${String(sysCode ?? 'timeout')})`,
      {
        ...opts,
        retryable: true,
        fix: `check that the ${side} host and port are right, the server is running and listen_addresses/firewalls allow this host`,
      },
    )
  }
  return new PgferryError('PGFERRY_CONNECT_FAILED', `${where}: could not connect: ${redact(raw)}`, {
    ...opts,
    retryable: true,
  })
}

/** The server refused the login (authentication, pg_hba.conf) or the SSL negotiation failed. */
function rejectedError(
  state: string | undefined,
  raw: string,
  where: string,
  conn: ResolvedConnection,
  opts: { readonly side: Side; readonly cause: unknown },
): PgferryError | undefined {
  // the driver's own words when the server asks for a password and the connection has none
  if (/client password must be a string|password must be a string/i.test(raw)) {
    const side = opts.side
    return new PgferryError(
      'PGFERRY_CONFIG_SECRET_MISSING',
      `${where}: the server asks user '${conn.user}' for a password and none was given`,
      {
        ...opts,
        fix: `give the ${side} password: in PGFERRY_${side.toUpperCase()}_PASSWORD for the CLI, or ${side}.password (or PGPASSWORD, a .pgpass file) for the library`,
      },
    )
  }
  if (state === '28P01' || (state === '28000' && /password|authentication/i.test(raw))) {
    return new PgferryError(
      'PGFERRY_CONNECT_AUTH_FAILED',
      `${where}: password authentication failed for user '${conn.user}'`,
      {
        ...opts,
        fix: `check the ${opts.side} user and password (the server's log names the pg_hba.conf line that was used)`,
      },
    )
  }
  if (state === '28000' && /SSL off|no encryption/i.test(raw)) {
    return new PgferryError(
      'PGFERRY_CONNECT_SSL_REQUIRED',
      `${where}: the server requires SSL for this user/host`,
      {
        ...opts,
        fix: `set ${opts.side}.ssl = true (or add ?sslmode=require to the URL)`,
        cliFix: `add ?sslmode=require to the --${opts.side} URL`,
      },
    )
  }
  if (/does not support SSL/i.test(raw)) {
    return new PgferryError(
      'PGFERRY_CONNECT_SSL_REQUIRED',
      `${where}: SSL was requested but the server does not support it`,
      {
        ...opts,
        fix: `set ${opts.side}.ssl = false, or enable ssl on the server`,
        cliFix: `use ?sslmode=disable (or prefer) in the --${opts.side} URL, or enable ssl on the server`,
      },
    )
  }
  if (state === '28000') {
    return new PgferryError(
      'PGFERRY_CONNECT_AUTH_FAILED',
      `${where}: connection rejected: ${redact(raw)}`,
      {
        ...opts,
        fix: `add a pg_hba.conf entry for user '${conn.user}' from this host (for a replication connection: database 'replication' or 'all' with the REPLICATION attribute)`,
      },
    )
  }
  return undefined
}

/**
 * Connect a new client. The client always has an `error` listener, so a server that goes away
 * surfaces on the next query instead of crashing the process.
 */
export async function openClient(
  conn: ResolvedConnection,
  side: Side,
  options: OpenOptions = {},
): Promise<pg.Client> {
  const client = new pg.Client(await clientConfig(conn, options))
  client.on('error', () => {
    /* reported by the failing query; an unhandled client error would crash the process */
  })
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => undefined)
    throw connectError(error, conn, side, options.database)
  }
  return client
}
