/**
 * What a caller passes to `createTask`. Every optional field documents its default; the resolved,
 * frozen form is `ResolvedTaskConfig` (model/resolved-config.ts, made by task/resolve-config.ts).
 */
import type { ConnectionOptions } from 'node:tls'
import type { ProgressStore } from './progress-store.js'
import type { WorkersConfig } from './workers.js'
import type { Stage } from './stage-contract.js'
import type { LeaseOptions } from './lease.js'
import type { SslMode } from './resolved-connection.js'

/**
 * The three migration types of the service.
 * - `structure`: schema only.
 * - `full`: structure and the data as of the start.
 * - `full+incremental`: structure, data, then every later change until the caller completes.
 * @public
 */
export type MigrationType = 'structure' | 'full' | 'full+incremental'

/**
 * A PostgreSQL server to connect to, in the subset of `pg`'s ClientConfig that pgferry uses.
 * Structural, so that pgferry's types do not depend on `@types/pg`.
 * @public
 */
export interface ConnectionConfig {
  /** Defaults to `PGHOST`, then `localhost`. */
  readonly host?: string | undefined
  /** Defaults to `PGPORT`, then 5432. */
  readonly port?: number | undefined
  /** Defaults to `PGUSER`, then `postgres`. */
  readonly user?: string | undefined
  /** A string, or a function returning one (for secret managers). Defaults to `PGPASSWORD`. */
  readonly password?: string | (() => string | Promise<string>) | undefined
  /** The database to connect to. Defaults to `PGDATABASE`, then `postgres`. */
  readonly database?: string | undefined
  /** `true`, `false` or tls options. Defaults to what `sslmode` says, else `false`. */
  readonly ssl?: boolean | ConnectionOptions | undefined
  /**
   * SSL as libpq's `sslmode` means it (`require` encrypts without checking the certificate;
   * `verify-full` checks it and the host name); used when `ssl` is not given. A URL's
   * `?sslmode=` lands here. Defaults to none (then `ssl`, else no SSL).
   */
  readonly sslmode?: SslMode | undefined
  /** The file with the CA certificate to check the server's against (libpq's `sslrootcert`). */
  readonly sslrootcert?: string | undefined
  /** Defaults to 10 000 ms. */
  readonly connectionTimeoutMillis?: number | undefined
  /** Shown to the server as `application_name`. Defaults to `pgferry`. */
  readonly application_name?: string | undefined
}

/**
 * A connection URL (`postgres://user:pass@host:port/db?sslmode=require`) or a config object.
 * @public
 */
export type ConnectionInput = string | ConnectionConfig

/**
 * What to migrate inside one schema. A list that is left out means "all of that kind"; when every
 * list is left out, the whole schema is migrated.
 * @public
 */
export interface SchemaSelection {
  /** Tables to migrate, by name (partitioned and foreign tables included). */
  readonly tables?: readonly string[]
  /** Views and materialized views to migrate, by name. */
  readonly views?: readonly string[]
  /** Sequences to migrate, by name (a selected table's owned sequences come with it). */
  readonly sequences?: readonly string[]
  /** Functions and procedures to migrate, by name. */
  readonly functions?: readonly string[]
  /** Tables to leave out (e.g. unlogged ones the precheck refused). */
  readonly exclude?: readonly string[]
  /** Name of the schema on the target. Defaults to the source name. */
  readonly as?: string
}

/**
 * What to migrate inside one database.
 * @public
 */
export interface DatabaseSelection {
  /** Schemas to migrate; `true` means the whole schema. Defaults to every non-system schema. */
  readonly schemas?: Readonly<Record<string, true | SchemaSelection>>
  /** Name of the database on the target. Defaults to the source name. */
  readonly as?: string
}

/**
 * A selection of databases → schemas → objects.
 * @public
 */
export interface ObjectSelection {
  /** `true` means the whole database. */
  readonly databases: Readonly<Record<string, true | DatabaseSelection>>
  /**
   * Add every object the selection depends on (a view's tables, a foreign key's referenced table,
   * a function's tables). Defaults to `false`: the precheck then names each missing dependency.
   */
  readonly includeDependencies?: boolean
}

/**
 * `instance`: every non-template database plus roles and users; or a selection.
 * @public
 */
export type ObjectsInput = 'instance' | ObjectSelection

/**
 * Where task progress is kept.
 * - `'target'`: a schema `pgferry` in the target connection's database.
 * - `'memory'`: in this process only (tests; nothing survives the process).
 * - a {@link ProgressStore} the caller supplies.
 * @public
 */
export type StoreInput = 'target' | 'memory' | ProgressStore

/**
 * A cap on how fast the full load reads the source, so a busy source is not starved.
 * @public
 */
export interface ThrottleConfig {
  /** Bytes of COPY data per second, summed over all workers. Defaults to no cap. */
  readonly bytesPerSecond?: number
  /**
   * Rows per second, summed over all workers. Applied as a byte cap per table from the table's
   * average row size (pg_class statistics), so it is approximate. Defaults to no cap.
   */
  readonly rowsPerSecond?: number
}

/**
 * Ownership of migrated objects: the source's owners and ACLs, or the target user's.
 * @public
 */
export type Ownership = 'keep' | 'target-user'

/**
 * What a `full+incremental` task does with a selected table that has no primary key and no
 * replica identity. While such a table is in the task's publication, PostgreSQL rejects the
 * application's own UPDATE and DELETE of it on the source.
 * - `'require'`: the precheck fails, naming each table and its fix; the full load refuses to
 *   publish such a table even when the precheck item was skipped.
 * - `'full-for-keyless'`: pgferry sets `REPLICA IDENTITY FULL` on each such table just before it
 *   publishes it (recorded in the store first, so a crash cannot lose the original), and restores
 *   the original identity when the task completes or is deleted.
 * @public
 */
export type ReplicaIdentityPolicy = 'require' | 'full-for-keyless'

/**
 * Everything a migration needs. Created once; the settings do not change afterwards.
 * @public
 */
export interface TaskConfig {
  /** Free text for people. Required. */
  readonly name: string
  /** A stable id. Defaults to a random UUID. Letters, digits, `-` and `_` only. */
  readonly id?: string
  /** The server to migrate from. Required. */
  readonly source: ConnectionInput
  /** The server to migrate into. Required. */
  readonly target: ConnectionInput
  /** Required: there is no safe guess between schema-only and an online migration. */
  readonly type: MigrationType
  /** Defaults to the whole database named in `source` (`{ databases: { [db]: true } }`). */
  readonly objects?: ObjectsInput
  /**
   * When `task.run()` starts the work: `'immediate'` (after the precheck passes) or a `Date`
   * (or ISO string) to wait for. Defaults to `'immediate'`.
   */
  readonly startAt?: 'immediate' | Date | string
  /** Key/value labels for the caller's own bookkeeping. Defaults to `{}`. */
  readonly tags?: Readonly<Record<string, string>>
  /** Concurrent COPY and index workers. Defaults to the number of cores, between 2 and 8. */
  readonly parallelism?: number
  /** Cap on the full load's source reads. Defaults to none. */
  readonly throttle?: ThrottleConfig
  /**
   * Tables larger than this many bytes (pg_total_relation_size) are copied in chunks of about this
   * size (ctid block ranges on v14+, else integer-key ranges), in parallel and resumable chunk by
   * chunk; 0 turns splitting off. Defaults to a size from the load itself (`autoSplitSize`): a
   * table is split only when it is larger than one lane's share of the database (its bytes over
   * `parallelism`), kept between 256 MiB and 4 GiB (`DEFAULT_SPLIT_TABLES_LARGER_THAN`,
   * `DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX`). Chunks cost source and target CPU (a TID range scan
   * instead of a seq scan, no COPY FREEZE), so they are made only where a lane would otherwise
   * wait for one table alone.
   */
  readonly splitTablesLargerThan?: number
  /**
   * Who owns the migrated objects. `'keep'`: the source's owners and GRANTs (ACLs) are recreated
   * (roles missing on the target are warned about and skipped); `'target-user'`: every object is
   * owned by the target connection's user and no GRANT is copied. Defaults to `'keep'`.
   */
  readonly ownership?: Ownership
  /**
   * Tables without a primary key or replica identity (`full+incremental`): refuse them
   * (`'require'`), or let pgferry set `REPLICA IDENTITY FULL` for the task's life
   * (`'full-for-keyless'`). Defaults to `'require'`.
   */
  readonly replicaIdentity?: ReplicaIdentityPolicy
  /**
   * A publication a DBA created on the source (in every selected database), for a
   * `full+incremental` task whose source user may not create one (`CREATE PUBLICATION … FOR TABLE`
   * needs ownership of every table and CREATE on the database). It must publish every selected
   * table (inserts, updates, deletes and truncates) without `publish_via_partition_root`; the
   * precheck and the full load check that. pgferry never alters or drops it. Defaults to a
   * publication pgferry creates itself (and drops at `complete`/`delete`).
   */
  readonly publication?: string
  /** Where progress lives. Defaults to `'target'`. */
  readonly store?: StoreInput
  /** Custom stages, run in their declared place. Defaults to none. */
  readonly stages?: readonly Stage[]
  /** Heartbeat and stale-after time of the task's lease (one runner per task); not stored. */
  readonly lease?: LeaseOptions
  /**
   * Spread the full load's chunk copies and post-data steps over worker processes (`startWorker`,
   * `pgferry worker`) through a PostgreSQL job queue; this process then coordinates (holds the
   * snapshot, enqueues, waits). Needs the store in the target (`store: 'target'`), where workers
   * read the task's settings. Defaults to none: the load runs in this process.
   */
  readonly workers?: WorkersConfig
}
