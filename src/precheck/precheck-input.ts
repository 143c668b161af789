/**
 * What every item reads, gathered once: one client per server, one per selected source database,
 * versions, roles, the selection of each database, and the target databases that already exist.
 * Items then run against this, each with its own set-based catalog queries.
 */
import type pg from 'pg'
import { messageOf } from '../errors.js'
import { readDatabaseFacts, type DatabaseFacts } from '../catalog/database-facts.js'
import { readCurrentRoleAttributes, type RoleAttributes } from '../catalog/role-attributes.js'
import { readTaskSelection, selectedDatabases, type DatabaseObjects } from '../catalog/selection.js'
import { serverVersion, type ServerVersion } from '../catalog/server-version.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { MigrationType } from '../model/task-config.js'
import { DEFAULT_LONG_TRANSACTION_SECONDS, DEFAULT_MAX_TRANSFER_SECONDS } from './precheck-items.js'

/** One selected source database. */
export interface SourceDatabase {
  readonly db: ResolvedDatabase
  /** Connected to this database; undefined when it does not exist or cannot be connected to. */
  readonly client: pg.Client | undefined
  /** What the task will migrate from it (with the closure when the task includes dependencies). */
  readonly selection: DatabaseObjects | undefined
  /** Why there is no client, redacted. */
  readonly error: string | undefined
  readonly exists: boolean
}

/** What the items read. */
export interface PrecheckInput {
  readonly ctx: StageContext
  readonly type: MigrationType
  /** The task streams changes (`full+incremental`). */
  readonly incremental: boolean
  /** The task copies data (`full` or `full+incremental`). */
  readonly copiesData: boolean
  readonly source: pg.Client
  readonly target: pg.Client
  readonly sourceVersion: ServerVersion
  readonly targetVersion: ServerVersion
  readonly sourceRole: RoleAttributes
  readonly targetRole: RoleAttributes
  readonly databases: readonly SourceDatabase[]
  /** Selected source databases that exist, by name. */
  readonly sourceDatabases: ReadonlyMap<string, DatabaseFacts>
  /** Target databases (by target name) that already exist. */
  readonly targetDatabases: ReadonlyMap<string, DatabaseFacts>
  /** A client on an existing target database (shared among items). */
  targetClient(name: string): Promise<pg.Client>
  /**
   * A stage after the precheck has run for this task (the store's record names it): objects on the
   * target may then be this task's own, so they are not conflicts.
   */
  readonly structureStarted: boolean
  readonly longTransactionSeconds: number
  readonly targetFreeBytes: number | undefined
  readonly maxTransferSeconds: number
}

/** Connect and read what every item needs. Throws only when a server that answered before fails. */
export async function gatherInput(ctx: StageContext): Promise<PrecheckInput> {
  const [source, target] = await Promise.all([ctx.connect('source'), ctx.connect('target')])
  // one query at a time per client (pg 9 drops queued concurrent queries); the two sides in parallel
  const facts = async (c: pg.Client): Promise<[ServerVersion, RoleAttributes]> => [
    await serverVersion(c),
    await readCurrentRoleAttributes(c),
  ]
  const [[sourceVersion, sourceRole], [targetVersion, targetRole]] = await Promise.all([
    facts(source),
    facts(target),
  ])
  const dbs = await selectedDatabases(ctx.config.objects, source)
  const onSource = await readDatabaseFacts(
    source,
    dbs.map((d) => d.name),
  )
  const databases: SourceDatabase[] = []
  for (const db of dbs) {
    if (!onSource.has(db.name)) {
      databases.push({
        db,
        client: undefined,
        selection: undefined,
        error: 'does not exist',
        exists: false,
      })
      continue
    }
    try {
      const client =
        db.name === ctx.config.source.database
          ? source
          : await ctx.connect('source', { database: db.name })
      const selection = await readTaskSelection(client, db, ctx.config.objects)
      databases.push({ db, client, selection, error: undefined, exists: true })
    } catch (error) {
      databases.push({
        db,
        client: undefined,
        selection: undefined,
        error: messageOf(error),
        exists: true,
      })
    }
  }
  const targetDatabases = await readDatabaseFacts(
    target,
    dbs.map((d) => d.as),
  )
  const record = await ctx.store.loadTask(ctx.taskId)
  const targetClients = new Map<string, Promise<pg.Client>>()
  const options = ctx.options as {
    longTransactionSeconds?: number
    targetFreeBytes?: number
    maxTransferSeconds?: number
  }
  return {
    ctx,
    type: ctx.config.type,
    incremental: ctx.config.type === 'full+incremental',
    copiesData: ctx.config.type !== 'structure',
    source,
    target,
    sourceVersion,
    targetVersion,
    sourceRole,
    targetRole,
    databases,
    sourceDatabases: onSource,
    targetDatabases,
    targetClient(name) {
      if (name === ctx.config.target.database) return Promise.resolve(target)
      let c = targetClients.get(name)
      if (c === undefined) {
        c = ctx.connect('target', { database: name })
        targetClients.set(name, c)
      }
      return c
    },
    structureStarted: record?.stage !== undefined && record.stage !== 'precheck',
    longTransactionSeconds: options.longTransactionSeconds ?? DEFAULT_LONG_TRANSACTION_SECONDS,
    targetFreeBytes: options.targetFreeBytes,
    maxTransferSeconds: options.maxTransferSeconds ?? DEFAULT_MAX_TRANSFER_SECONDS,
  }
}

/** The databases whose selection could be read, with their client and selection. */
export function readable(
  input: PrecheckInput,
): { db: ResolvedDatabase; client: pg.Client; selection: DatabaseObjects }[] {
  const out: { db: ResolvedDatabase; client: pg.Client; selection: DatabaseObjects }[] = []
  for (const d of input.databases)
    if (d.client !== undefined && d.selection !== undefined)
      out.push({ db: d.db, client: d.client, selection: d.selection })
  return out
}

/**
 * Bytes the task copies: the selected relations' table, index and TOAST size on the source (the
 * on-disk size, so an approximation of the COPY bytes); 0 for a task that copies no data.
 */
export function migratedBytes(input: PrecheckInput): number {
  if (!input.copiesData) return 0
  let total = 0
  for (const { selection } of readable(input)) for (const r of selection.relations) total += r.bytes
  return total
}
