/**
 * The resolved task config: the frozen, validated form of `TaskConfig` that `resolveConfig`
 * (task/resolve-config.ts) makes once, in `createTask`, and every layer below reads. Pure types and
 * the defaults they are resolved with.
 */
import type { TargetLedger } from './target-ledger.js'
import type {
  MigrationType,
  Ownership,
  ReplicaIdentityPolicy,
  ThrottleConfig,
} from './task-config.js'
import type { ResolvedConnection } from './resolved-connection.js'
import type { ResolvedObjects } from './resolved-objects.js'
import type { Stage } from './stage-contract.js'
import type { ResolvedWorkers } from './workers.js'

/**
 * The default `ownership`: keep the source's owners and grants.
 * @public
 */
export const DEFAULT_OWNERSHIP: Ownership = 'keep'
/**
 * Tables without a key or replica identity are refused unless the task opts in.
 * @public
 */
export const DEFAULT_REPLICA_IDENTITY: ReplicaIdentityPolicy = 'require'
/**
 * Every {@link MigrationType}, in the order of how much they do.
 * @public
 */
export const MIGRATION_TYPES: readonly MigrationType[] = ['structure', 'full', 'full+incremental']

/**
 * The smallest chunk of the automatic split (a task that names no `splitTablesLargerThan`): 256 MiB.
 * @public
 */
export const DEFAULT_SPLIT_TABLES_LARGER_THAN = 256 * 1024 * 1024

/**
 * The largest chunk of the automatic split: 4 GiB, so that a broken connection retries at most
 * that much of a huge table.
 * @public
 */
export const DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX = 4 * 1024 * 1024 * 1024

/**
 * The frozen, validated form of {@link TaskConfig}.
 * @public
 */
export interface ResolvedTaskConfig {
  /** The task's id: the one given, else a random UUID. */
  readonly id: string
  /** The task's human-readable name. */
  readonly name: string
  /** What the task migrates: structure only, a full load, or a full load and then a sync. */
  readonly type: MigrationType
  /** The source connection (its password held apart, never here). */
  readonly source: ResolvedConnection
  /** The target connection (its password held apart, never here). */
  readonly target: ResolvedConnection
  /** What to migrate: the whole instance or a selection of databases, schemas and objects. */
  readonly objects: ResolvedObjects
  /** `undefined` means immediately. */
  readonly startAt: Date | undefined
  /** The caller's labels, frozen; `{}` when none were given. */
  readonly tags: Readonly<Record<string, string>>
  /**
   * COPY lanes of the full load (and parallel post-data steps): 1–64; default: the cores, between 2
   * and 8.
   */
  readonly parallelism: number
  /** `undefined` means no cap. */
  readonly throttle: Readonly<ThrottleConfig> | undefined
  /** Bytes; 0 means never split; `undefined`, split by the size of the load (`autoSplitSize`). */
  readonly splitTablesLargerThan: number | undefined
  /** Who owns migrated objects: `keep` (source owners and ACLs) or `target-user`. */
  readonly ownership: Ownership
  /** Tables without a key or replica identity: refused, or given REPLICA IDENTITY FULL. */
  readonly replicaIdentity: ReplicaIdentityPolicy
  /** A publication the DBA made; `undefined`: pgferry makes its own. */
  readonly publication: string | undefined
  /** Where progress lives: a schema in the target, memory, or a store the caller passed. */
  readonly store: 'target' | 'memory' | 'custom'
  /**
   * Where the task's target ledger lives: the rows that commit with the copied rows and applied
   * changes in each target database, in a schema named as the store's (model/target-ledger.ts).
   */
  readonly ledger: TargetLedger
  /** The caller's custom stages, validated and frozen; empty when none. */
  readonly stages: readonly Stage[]
  /** The job queue of the full load's workers; `undefined`: the load runs in-process. */
  readonly workers: ResolvedWorkers | undefined
}
