/**
 * The config as the store keeps it: no password, no TLS key material, no stage code. Reopening a
 * task (in another process) rebuilds a ResolvedTaskConfig from it plus what the caller supplies
 * again: passwords and custom stages.
 */
import { ledgerOf } from '../model/target-ledger.js'
import { PgferryError } from '../errors.js'
import type { Stage } from '../model/stage-contract.js'
import type { LeaseOptions } from '../model/lease.js'
import type { ConnectionConfig, ConnectionInput, MigrationType } from '../model/task-config.js'
import { resolveConnection } from './resolve-connection.js'
import type { ResolvedConnection, SslMode } from '../model/resolved-connection.js'
import type { ResolvedObjects } from '../model/resolved-objects.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'

interface StoredConnection {
  host: string
  port: number
  user: string
  database: string
  ssl: boolean
  /** Absent in tasks stored before sslmode was kept. */
  sslMode?: SslMode | null
  sslRootCert?: string | null
  connectionTimeoutMillis: number
  applicationName: string
  hasPassword: boolean
}

function storeConnection(c: ResolvedConnection): StoredConnection {
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    database: c.database,
    ssl: c.ssl !== false,
    sslMode: c.sslMode ?? null,
    sslRootCert: c.sslRootCert ?? null,
    connectionTimeoutMillis: c.connectionTimeoutMillis,
    applicationName: c.applicationName,
    hasPassword: c.hasPassword,
  }
}

/** A JSON-safe copy of the config for the store. */
export function serializeConfig(config: ResolvedTaskConfig): Record<string, unknown> {
  return {
    version: 1,
    id: config.id,
    name: config.name,
    type: config.type,
    source: storeConnection(config.source),
    target: storeConnection(config.target),
    objects: config.objects,
    startAt: config.startAt?.toISOString() ?? null,
    tags: config.tags,
    parallelism: config.parallelism,
    throttle: config.throttle ?? null,
    splitTablesLargerThan: config.splitTablesLargerThan ?? null,
    ownership: config.ownership,
    replicaIdentity: config.replicaIdentity,
    publication: config.publication ?? null,
    store: config.store,
    ledger: { schema: config.ledger.schema },
    stages: config.stages.map((s) => ({ name: s.name, after: s.after ?? null })),
    workers:
      config.workers === undefined
        ? null
        : {
            queue: storeConnection(config.workers.queue),
            jobTimeoutSeconds: config.workers.jobTimeoutSeconds,
          },
  }
}

/**
 * What the caller gives again when reopening a task.
 * @public
 */
export interface ReopenOptions {
  /** Merged over the stored source connection (e.g. `{ password }`), or a URL replacing it. */
  readonly source?: ConnectionInput
  /** Merged over the stored target connection, or a URL replacing it. */
  readonly target?: ConnectionInput
  /** The task's custom stages (code is not stored). Required when the task was created with some. */
  readonly stages?: readonly Stage[]
  /** Heartbeat and stale-after time of the task's lease (one runner per task). */
  readonly lease?: LeaseOptions
  /** Merged over the stored workers' queue connection (e.g. `{ queue: { password } }`). */
  readonly workers?: { readonly queue?: ConnectionInput }
}

function reopenConnection(
  stored: StoredConnection,
  override: ConnectionInput | undefined,
  side: 'source' | 'target' | 'queue',
  id: string,
): ResolvedConnection {
  if (typeof override === 'string') return resolveConnection(override, side)
  const base: ConnectionConfig = {
    host: stored.host,
    port: stored.port,
    user: stored.user,
    database: stored.database,
    // the stored sslmode rebuilds the same TLS options (a bare `ssl: true` would verify)
    ...(stored.sslMode == null
      ? { ssl: stored.ssl }
      : {
          sslmode: stored.sslMode,
          ...(stored.sslRootCert == null ? {} : { sslrootcert: stored.sslRootCert }),
        }),
    connectionTimeoutMillis: stored.connectionTimeoutMillis,
    application_name: stored.applicationName,
  }
  const given = Object.fromEntries(
    Object.entries(override ?? {}).filter(([, v]) => v !== undefined),
  )
  const merged: ConnectionConfig = { ...base, ...given }
  if (stored.hasPassword && merged.password === undefined && process.env.PGPASSWORD === undefined) {
    throw new PgferryError(
      'PGFERRY_CONFIG_SECRET_MISSING',
      `task ${id} was created with a ${side} password, which is never stored`,
      {
        fix:
          side === 'queue'
            ? `pass it again: openTask('${id}', { workers: { queue: { password } } }) (or set PGPASSWORD)`
            : `pass it again: openTask('${id}', { ${side}: { password } }) (or set PGPASSWORD)`,
        cliFix: `give it again: set PGFERRY_${side.toUpperCase()}_PASSWORD, or pass --${side}-password-file FILE, or run the command on a terminal to be asked for it`,
      },
    )
  }
  return resolveConnection(merged, side)
}

/** Rebuild a resolved config from the stored copy plus the caller's secrets and stages. */
export function deserializeConfig(
  stored: Readonly<Record<string, unknown>>,
  options: ReopenOptions,
): ResolvedTaskConfig {
  const s = stored as unknown as {
    id: string
    name: string
    type: MigrationType
    source: StoredConnection
    target: StoredConnection
    objects: ResolvedObjects
    startAt: string | null
    tags: Record<string, string>
    parallelism: number
    throttle?: ResolvedTaskConfig['throttle'] | null
    splitTablesLargerThan?: number | null
    ownership?: ResolvedTaskConfig['ownership']
    replicaIdentity?: ResolvedTaskConfig['replicaIdentity']
    publication?: string | null
    store: ResolvedTaskConfig['store']
    /** Absent in tasks stored before the ledger was named: theirs is in `pgferry`. */
    ledger?: { schema: string } | null
    stages: { name: string; after: string | null }[]
    workers?: { queue: StoredConnection; jobTimeoutSeconds: number } | null
  }
  const given = options.stages ?? []
  const missing = s.stages
    .filter((st) => !given.some((g) => g.name === st.name))
    .map((st) => st.name)
  if (missing.length > 0) {
    throw new PgferryError(
      'PGFERRY_CONFIG_INVALID',
      `task ${s.id} has custom stages that were not given again: ${missing.join(', ')}`,
      {
        fix: `openTask('${s.id}', { stages: [...] }) with the same stages as createTask`,
        cliFix: `this task runs custom stages, which live in the program that created it: continue it from that program (the pgferry command cannot run them)`,
      },
    )
  }
  return Object.freeze({
    id: s.id,
    name: s.name,
    type: s.type,
    source: reopenConnection(s.source, options.source, 'source', s.id),
    target: reopenConnection(s.target, options.target, 'target', s.id),
    objects: deepFreeze(s.objects),
    startAt: s.startAt === null ? undefined : new Date(s.startAt),
    tags: Object.freeze({ ...s.tags }),
    parallelism: s.parallelism,
    throttle: s.throttle == null ? undefined : Object.freeze({ ...s.throttle }),
    splitTablesLargerThan: s.splitTablesLargerThan ?? undefined,
    ownership: s.ownership ?? 'keep',
    replicaIdentity: s.replicaIdentity ?? 'require',
    publication: s.publication ?? undefined,
    store: s.store,
    ledger: Object.freeze(ledgerOf(s.ledger?.schema)),
    stages: Object.freeze(s.stages.map((st) => given.find((g) => g.name === st.name) as Stage)),
    workers:
      s.workers == null
        ? undefined
        : Object.freeze({
            queue: reopenConnection(s.workers.queue, options.workers?.queue, 'queue', s.id),
            jobTimeoutSeconds: s.workers.jobTimeoutSeconds,
          }),
  })
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x)
    Object.freeze(v)
  }
  return v
}
