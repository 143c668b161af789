/**
 * The snapshot holder: the one moment every COPY worker of a database reads.
 *
 * - `full`: a REPEATABLE READ READ ONLY transaction that ran `pg_export_snapshot()`, held open
 *   until the copy ends.
 * - `full+incremental`: a logical slot created on a replication connection with an exported
 *   snapshot (ARCHITECTURE.md): the walsender keeps the snapshot valid only until it receives its
 *   next command, so that connection stays silent until the copy ends. The slot's
 *   `consistent_point` is where the incremental stream starts. A temporary slot gives a re-copied
 *   table its own sync point after a crash (PostgreSQL's tablesync does the same).
 *
 * Creating a logical slot waits until every transaction that had an xid when it started has
 * ended (snapbuild's "running xacts" rule), so a forgotten open transaction blocks it forever; we
 * wait `timeoutMs`, then cancel and name the sessions that hold it up.
 */
import type pg from 'pg'
import { createHash } from 'node:crypto'
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import { quoteIdent, quoteLiteral, quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../model/stage.js'
import type { SelectedRelation } from '../catalog/selection.js'
import { hardClose } from './hard-close.js'
import { openClient } from '../pg/connect.js'
import { NO_TIMEOUTS } from './copy-lanes.js'
import { publishedRelations } from './published-relations.js'

/** How long slot creation may wait for open transactions. */
export const DEFAULT_SLOT_TIMEOUT_MS = 60_000

/** A held snapshot of one source database. */
export interface HeldSnapshot {
  /** The exported snapshot id, for `SET TRANSACTION SNAPSHOT`. */
  readonly name: string
  /** The slot's `consistent_point` (`X/Y`), for slot-based snapshots. */
  readonly consistentPoint: string | undefined
  /** End the holding transaction / replication connection. Idempotent. */
  release(): Promise<void>
  /** Whether the holding connection is still there. */
  alive(): boolean
}

/** The slot name of a task in one source database (slot names are cluster-wide, ≤ 63 chars). */
export function slotName(taskId: string, database: string): string {
  const h = createHash('sha1').update(database).digest('hex').slice(0, 8)
  return `${slotPrefix(taskId)}${h}`
}

/** What every slot of a task starts with (its slots per database, its temporary ones). */
export function slotPrefix(taskId: string): string {
  return `pgferry_${sanitize(taskId).slice(0, 40)}_`
}

/** The publication of a task (one per source database, same name in each). */
export function publicationName(taskId: string): string {
  return `pgferry_${sanitize(taskId).slice(0, 50)}`
}

function sanitize(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9_]/g, '_')
}

/** `full`: export a snapshot from a held REPEATABLE READ transaction. */
export async function exportSnapshot(ctx: StageContext, database: string): Promise<HeldSnapshot> {
  const client = await ctx.connect('source', { database })
  // held idle in a transaction for the whole copy: a role's idle timeout would end it
  await client.query(NO_TIMEOUTS)
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  const r = await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')
  return holder(client, r.rows[0]?.s ?? '', undefined)
}

/** Options of {@link createSlotSnapshot}. */
export interface SlotOptions {
  readonly slot: string
  /** A temporary slot disappears with its connection (a re-copy's sync point). */
  readonly temporary: boolean
  readonly timeoutMs: number
}

/**
 * Create a logical pgoutput slot with an exported snapshot on a replication connection. On
 * timeout, cancels the creation and rejects with `PGFERRY_FULLLOAD_SLOT_BLOCKED`, naming the
 * sessions with an open write transaction.
 */
export async function createSlotSnapshot(
  ctx: StageContext,
  database: string,
  options: SlotOptions,
): Promise<HeldSnapshot> {
  const repl = await ctx.connect('source', { database, replication: 'database' })
  const v = Number((await repl.query<{ v: string }>('SHOW server_version_num')).rows[0]?.v)
  const snapshotClause = v >= 150000 ? `(SNAPSHOT 'export')` : 'EXPORT_SNAPSHOT'
  const temp = options.temporary ? ' TEMPORARY' : ''
  const sql = `CREATE_REPLICATION_SLOT ${quoteIdent(options.slot)}${temp} LOGICAL pgoutput ${snapshotClause}`
  const walsenderPid = (repl as unknown as { processID: number }).processID
  let blocked: string | undefined
  // On timeout: name the blockers first, then cancel the creation (the query then rejects).
  const timer = setTimeout(() => {
    void describeBlockers(ctx, database, walsenderPid, (who) => (blocked = who)).catch(
      (error: unknown) => {
        blocked = `could not list them: ${messageOf(error)}`
        hardClose(repl)
      },
    )
  }, options.timeoutMs)
  // A walsender waiting for running transactions does not read its socket; a server-side cancel
  // ends the wait (and drops the ephemeral slot) at once instead of when the blocker ends.
  const onAbort = (): void => {
    void cancelBackend(ctx, database, walsenderPid).finally(() => hardClose(repl))
  }
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  try {
    // aborted while the version was read: the listener above will never fire, create nothing
    ctx.signal.throwIfAborted()
    const r = await repl.query<{ consistent_point: string; snapshot_name: string }>(sql)
    const row = r.rows[0]
    if (row === undefined || row.snapshot_name == null) {
      throw new PgferryError('PGFERRY_INTERNAL', `CREATE_REPLICATION_SLOT returned no snapshot`)
    }
    return holder(repl, row.snapshot_name, row.consistent_point)
  } catch (error) {
    // An ephemeral slot still waiting for its consistent point is dropped when its walsender
    // ends, so closing the connection leaves nothing behind.
    hardClose(repl)
    if (blocked !== undefined) {
      await waitSlotGone(ctx, database, options.slot)
      throw blockedError(options.slot, blocked, options.timeoutMs)
    }
    if (error instanceof PgferryError) throw error
    ctx.signal.throwIfAborted()
    throw new PgferryError(
      'PGFERRY_FULLLOAD_SLOT_BLOCKED',
      `could not create replication slot ${options.slot}: ${messageOf(error)}`,
      {
        cause: error,
        retryable: false,
        fix: 'check max_replication_slots, wal_level = logical and the REPLICATION attribute of the source user',
      },
    )
  } finally {
    clearTimeout(timer)
    ctx.signal.removeEventListener('abort', onAbort)
  }
}

/** pg_cancel_backend on a connection of its own (the stage's connect refuses once aborted). */
async function cancelBackend(ctx: StageContext, database: string, pid: number): Promise<void> {
  try {
    const c = await openClient(ctx.config.source, 'source', { database })
    try {
      await c.query('SELECT pg_cancel_backend($1)', [pid])
    } finally {
      await c.end().catch(() => undefined)
    }
  } catch {
    /* best effort: the socket is closed anyway */
  }
}

/** The walsender drops an ephemeral slot in its error cleanup, just after reporting the error. */
async function waitSlotGone(ctx: StageContext, database: string, slot: string): Promise<void> {
  const c = await ctx.connect('source', { database })
  try {
    for (let i = 0; i < 100; i++) {
      if (!(await slotExists(c, slot))) return
      await new Promise((r) => setTimeout(r, 50))
    }
    await dropSlot(c, slot)
  } finally {
    await c.end().catch(() => undefined)
  }
}

function blockedError(slot: string, who: string, ms: number): PgferryError {
  return new PgferryError(
    'PGFERRY_FULLLOAD_SLOT_BLOCKED',
    `creating replication slot ${slot} waited ${Math.round(ms / 1000)} s for open transactions to end: ${who}`,
    {
      fix: 'end (commit, roll back or pg_terminate_backend) those transactions and run the full load again',
    },
  )
}

async function describeBlockers(
  ctx: StageContext,
  database: string,
  walsenderPid: number,
  named: (who: string) => void,
): Promise<void> {
  const c = await ctx.connect('source', { database })
  try {
    // Slot creation waits for transactions that have an xid (any database), and prepared ones.
    const r = await c.query<{ pid: number; app: string; xact_start: Date | null; db: string }>(
      `SELECT pid, coalesce(application_name, '') AS app, xact_start, coalesce(datname, '') AS db
         FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND pid <> $1 AND pid <> pg_backend_pid()
        ORDER BY xact_start`,
      [walsenderPid],
    )
    const p = await c.query<{ gid: string; prepared: Date }>(
      `SELECT gid, prepared FROM pg_prepared_xacts ORDER BY prepared`,
    )
    const parts = r.rows.map(
      (x) =>
        `pid ${x.pid} (application_name '${x.app}', database ${x.db}, xact_start ${x.xact_start?.toISOString() ?? '?'})`,
    )
    for (const x of p.rows)
      parts.push(`prepared transaction '${x.gid}' (${x.prepared.toISOString()})`)
    named(parts.length === 0 ? 'no blocking session found any more' : parts.join('; '))
    // A server-side cancel makes the walsender leave its wait and drop the ephemeral slot.
    await c.query('SELECT pg_cancel_backend($1)', [walsenderPid])
  } finally {
    await c.end().catch(() => undefined)
  }
}

function holder(
  client: pg.Client,
  name: string,
  consistentPoint: string | undefined,
): HeldSnapshot {
  let closed = false
  let dead = false
  const conn = (client as unknown as { connection: NodeJS.EventEmitter }).connection
  conn.once('end', () => (dead = true))
  client.once('error', () => (dead = true))
  return {
    name,
    consistentPoint,
    alive: () => !closed && !dead,
    async release() {
      if (closed) return
      closed = true
      await client.end().catch(() => undefined)
    },
  }
}

/** Whether a replication slot exists on the source. */
export async function slotExists(client: pg.Client, slot: string): Promise<boolean> {
  const r = await client.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [slot])
  return (r.rowCount ?? 0) > 0
}

/**
 * Drop a slot if it exists. A walsender still attached (or an ephemeral slot whose creation was
 * just cancelled, which its walsender drops as it exits) is terminated and waited for, up to
 * about 10 s.
 */
export async function dropSlot(client: pg.Client, slot: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await client.query<{ pid: number | null }>(
      `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    )
    const row = r.rows[0]
    if (row === undefined) return
    if (row.pid === null) {
      try {
        await client.query(`SELECT pg_drop_replication_slot($1)`, [slot])
        return
      } catch (error) {
        // gone meanwhile (42704), or taken by a walsender again (55006): look again
        if (sqlStateOf(error) === '42704') return
        if (sqlStateOf(error) !== '55006' || attempt >= 200) throw error
      }
    } else {
      await client.query(`SELECT pg_terminate_backend($1)`, [row.pid])
    }
    if (attempt >= 200) {
      throw new PgferryError(
        'PGFERRY_WAL_SLOT_MISSING',
        `replication slot ${slot} stays active (pid ${row.pid ?? '?'}) and cannot be dropped`,
        { side: 'source', fix: `SELECT pg_drop_replication_slot('${slot}') once it is inactive` },
      )
    }
    await new Promise((res) => setTimeout(res, 50))
  }
}

/**
 * Create the task's publication over the selected tables, or make an existing one cover exactly
 * them. v13+: partitioned roots, so that a partition attached later is published too; v12 cannot
 * publish a partitioned table, so its leaf partitions are published instead. Changes always arrive
 * under the leaf partition (never `publish_via_partition_root`): PostgreSQL does not send a
 * TRUNCATE of one partition through the root, and the target has the same partitions (the
 * structure stage made them), so each change goes to the matching target leaf and a partition
 * move arrives as its DELETE and INSERT.
 *
 * An existing publication is altered, never dropped and created again: a slot may already decode
 * with it, and pgoutput looks the publication up (by name, under the historic snapshot of each
 * change) for every change, so a moment without it would lose or fail those changes.
 */
export async function ensurePublication(
  client: pg.Client,
  name: string,
  relations: readonly SelectedRelation[],
  serverVersion: number,
): Promise<void> {
  const tables = publishedRelations(relations, serverVersion)
  const list = tables.map((t) => quoteQualified(t.schema, t.name)).join(', ')
  const found = await client.query<{ oid: number }>(
    `SELECT oid::int8::float8 AS oid FROM pg_publication WHERE pubname = $1`,
    [name],
  )
  const pub = found.rows[0]
  // v18: a table whose replica identity (FULL) holds a stored generated column may not be updated
  // on the source while it is in a publication that leaves such columns out ("Replica identity
  // must not contain unpublished generated columns"); published, the apply skips them.
  const options = serverVersion >= 180000 ? ` WITH (publish_generated_columns = stored)` : ''
  if (pub === undefined) {
    const what = list === '' ? '' : ` FOR TABLE ${list}`
    await client.query(`CREATE PUBLICATION ${quoteIdent(name)}${what}${options}`)
    return
  }
  if (serverVersion >= 130000)
    await client.query(
      `ALTER PUBLICATION ${quoteIdent(name)} SET (publish_via_partition_root = false)`,
    )
  if (serverVersion >= 180000)
    await client.query(
      `ALTER PUBLICATION ${quoteIdent(name)} SET (publish_generated_columns = stored)`,
    )
  if (list !== '') {
    await client.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${list}`)
    return
  }
  // SET TABLE needs at least one table: an empty selection drops the members one by one
  const members = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_publication_rel pr JOIN pg_class c ON c.oid = pr.prrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE pr.prpubid = $1::int8::oid`,
    [pub.oid],
  )
  for (const m of members.rows)
    await client.query(
      `ALTER PUBLICATION ${quoteIdent(name)} DROP TABLE ${quoteQualified(m.schema, m.name)}`,
    )
}

/** `SET TRANSACTION SNAPSHOT` text for a worker transaction. */
export function importSnapshotSql(snapshot: string): string {
  return `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`
}
