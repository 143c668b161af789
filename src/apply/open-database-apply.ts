/**
 * What the apply of one source database starts from: its connections, its slot (refused when
 * PostgreSQL invalidated it), its progress on the target, and the replication connection the
 * stream starts on from that progress (or the full load's consistent point).
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { LoadedDatabase, LoadedTable } from '../fullload/load-progress.js'
import { versionNum } from '../catalog/server-version.js'
import { readSlotRetention, readSlotWalLimit } from '../catalog/slot-retention.js'
import { parseLsn } from '../wal/lsn.js'
import { ApplyProgress } from './apply-progress.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import { readApplyMapping, type ApplyMapping } from './apply-mapping.js'
import { prepareApplySession } from './apply-session.js'
import type { MonitoredSlot } from './apply-monitor.js'
import { openApplyStream } from './open-apply-stream.js'
import { WalRetention, walRetainedThreshold } from './wal-retention.js'

/** Everything an apply is built from, before its stream starts. */
export interface ApplyParts {
  readonly ctx: StageContext
  readonly loaded: LoadedDatabase
  readonly options: ResolvedApplyOptions
  /** Connections outlive the calling stage (closed by `task.close()`). */
  readonly keep: boolean
  readonly source: pg.Client
  readonly target: pg.Client
  /** The backend pid of the apply connection (`target`). */
  readonly applyPid: number
  readonly progress: ApplyProgress
  readonly mapping: ApplyMapping
  /** Transactions ending at or below this are on the target already. */
  readonly startFrom: bigint
  readonly slot: MonitoredSlot
  readonly opened: Awaited<ReturnType<typeof openApplyStream>>
}

/**
 * Connect and set up progress, then `begin` the apply on them. Whatever fails closes these
 * connections: a half-started apply must not keep the origin session (a retry would wait for it).
 */
export async function openDatabaseApply<T>(
  ctx: StageContext,
  loaded: LoadedDatabase,
  tables: readonly LoadedTable[],
  options: ResolvedApplyOptions,
  keep: boolean,
  begin: (parts: ApplyParts) => Promise<T>,
): Promise<T> {
  if (loaded.slot === null || loaded.publication === null || loaded.consistentPoint === null) {
    throw new PgferryError(
      'PGFERRY_WAL_SLOT_MISSING',
      `database ${loaded.sourceDatabase} has no replication slot from the full load`,
      { fix: 'run the full load of this full+incremental task first' },
    )
  }
  const db = loaded.sourceDatabase
  const consistentPoint = loaded.consistentPoint
  const slot = loaded.slot
  const publication = loaded.publication
  const source = await ctx.connect('source', { database: db, keep })
  const target = await ctx.connect('target', { database: loaded.targetDatabase, keep })
  let repl: pg.Client | undefined
  try {
    // a slot PostgreSQL invalidated cannot stream: say so before anything else
    const serverVersion = await versionNum(source)
    const retention = new WalRetention(
      ctx,
      db,
      slot,
      walRetainedThreshold(options.walRetainedWarnBytes, await readSlotWalLimit(source)),
    )
    const lost = retention.report(await readSlotRetention(source, slot, serverVersion))
    if (lost !== undefined) throw lost
    await prepareApplySession(ctx, target, loaded.targetDatabase)
    const pid = await target.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)
    const applyPid = pid.rows[0]?.pid ?? 0
    const mapping = await readApplyMapping(ctx, source, db, tables)
    const progress = await ApplyProgress.open(target, ctx.config.ledger, ctx.taskId, db, (reason) =>
      ctx.warn('PGFERRY_APPLY_PROGRESS_TABLE', `${db}: ${reason}`),
    )
    const recorded = await progress.read()
    const consistent = parseLsn(consistentPoint)
    const startFrom = recorded > consistent ? recorded : consistent
    const opened = await openApplyStream(ctx, slot, publication, db, startFrom, keep, options)
    repl = opened.client
    return await begin({
      ctx,
      loaded,
      options,
      keep,
      source,
      target,
      applyPid,
      progress,
      mapping,
      startFrom,
      slot: { name: slot, serverVersion, retention },
      opened,
    })
  } catch (error) {
    await Promise.all([source, target, repl].map((c) => c?.end().catch(() => undefined)))
    throw error
  }
}
