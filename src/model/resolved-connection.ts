/**
 * A resolved connection: what `resolveConnection` (task/resolve-connection.ts) makes of a URL or a
 * config object, with every default applied. Pure types and constants, so that `pg/` can open a
 * connection without importing the task layer above it.
 */

/**
 * The TCP port used when neither the config nor `PGPORT` gives one.
 * @public
 */
export const DEFAULT_PORT = 5432
/**
 * The connect timeout, in milliseconds, when the config gives no `connectionTimeoutMillis`.
 * @public
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/**
 * The `application_name` pgferry's sessions show in `pg_stat_activity` unless the config names one.
 * @public
 */
export const DEFAULT_APPLICATION_NAME = 'pgferry'

/**
 * libpq's `sslmode` values: `disable`/`allow` (no SSL), `prefer` (SSL when the server offers it),
 * `require` (SSL, the certificate not checked), `verify-ca` (checked against `sslrootcert`),
 * `verify-full` (checked, and it must name the host).
 * @public
 */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'

/**
 * A connection with every default applied. The password is not a property: see `passwordOf`.
 * @public
 */
export interface ResolvedConnection {
  /** Host name, IP or socket directory: the config's, else `PGHOST`, else `localhost`. */
  readonly host: string
  /** TCP port: the config's, else `PGPORT`, else 5432. */
  readonly port: number
  /** User name: the config's, else `PGUSER`, else `postgres`. */
  readonly user: string
  /** The database connected to first: the config's, else `PGDATABASE`, else `postgres`. */
  readonly database: string
  /** `false` (the default), `true`, or node's TLS options (frozen), as `pg` takes them. */
  readonly ssl: boolean | Readonly<Record<string, unknown>>
  /** The `sslmode` the URL or config gave (which `ssl` was made from), else undefined. */
  readonly sslMode?: SslMode | undefined
  /** The `sslrootcert` file the URL or config gave, else undefined. */
  readonly sslRootCert?: string | undefined
  /** Connect timeout in milliseconds; default 10 000. */
  readonly connectionTimeoutMillis: number
  /** The sessions' `application_name`; default `pgferry`. */
  readonly applicationName: string
  /** Whether a password (or password function) was given. */
  readonly hasPassword: boolean
}
