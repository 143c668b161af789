/**
 * The consistency check: every table of the given databases, compared on both servers at once in
 * `VERIFY_LANES` connection pairs per database (see keyed-table.ts and keyless-table.ts for how a
 * table is compared). Returns the report; never throws for a difference (the caller decides:
 * `complete` fails on one, the CLI exits 1).
 */
import type pg from 'pg'
import type { RowWatch } from '../apply/row-watch.js'
import { PgferryError } from '../errors.js'
import type { EmitFn } from '../model/events.js'
import type { Side } from '../model/stage.js'
import { quoteQualified } from '../pg/quote.js'
import { cancelBackends } from '../pg/statement-cancel.js'
import { readRowKeyShape, type RowKeyColumn } from '../catalog/row-key.js'
import { checkKeyedTable } from './keyed-table.js'
import { checkKeylessTable } from './keyless-table.js'
import { plainColumns, rowSql } from './row-sql.js'
import { noFindings, type CheckEnv, type CheckedTable, type TableFindings } from './table-check.js'
import type { VerifiedDatabase, VerifiedTable } from './verified-tables.js'
import { VerifyLanes } from './verify-lanes.js'
import type { TableVerifyReport, VerifyMode, VerifyOptions, VerifyReport } from './verify-report.js'

/** Connection pairs per database: two keep both cores of a small server busy on each side. */
export const VERIFY_LANES = 2
/** Rows per chunk: large enough that a chunk's round trip is small beside its scan. */
export const DEFAULT_CHUNK_ROWS = 50_000
/** Share of chunks `sample` checks by default, in percent. */
export const DEFAULT_SAMPLE_PERCENT = 10
/** Differences kept per table by default. */
export const DEFAULT_MAX_DIFFERENCES = 100
/** Progress events at most this often. */
const PROGRESS_EVERY_MS = 250

/** What the check needs from its caller. */
export interface VerifyDeps {
  readonly taskId: string
  readonly emit: EmitFn
  readonly signal: AbortSignal
  /** A normal connection to `database` on `side`; the check closes it. */
  connect(side: Side, database: string): Promise<pg.Client>
  /**
   * While a sync of `database` runs, what the check needs of it (see {@link SyncHooks});
   * `undefined` when nothing syncs it (the data is at rest; a difference is reported at once).
   */
  sync(database: string): SyncHooks | undefined
}

/** What a check needs of the sync running beside it. */
export interface SyncHooks {
  /** Resolves once the target applied the source up to `lsn` (`X/Y`). */
  settle(lsn: string): Promise<void>
  /** Start recording the changes the sync receives for the source table `oid`. */
  watch(oid: number): RowWatch | undefined
}

function syncOf(hooks: SyncHooks | undefined): Pick<CheckEnv, 'settle' | 'watch'> {
  return hooks === undefined
    ? { settle: undefined, watch: undefined }
    : { settle: (lsn) => hooks.settle(lsn), watch: (oid) => hooks.watch(oid) }
}

/** Check the options; throws `PGFERRY_OPTIONS_INVALID` naming the bad one. */
export function checkVerifyOptions(options: VerifyOptions): void {
  const bad = (what: string, fix: string): never => {
    throw new PgferryError('PGFERRY_OPTIONS_INVALID', `verify: ${what}`, { fix })
  }
  if (options.mode !== undefined && !['count', 'checksum', 'sample'].includes(options.mode))
    bad(`mode ${String(options.mode)} is unknown`, "use 'count', 'checksum' or 'sample'")
  const sample = options.sample
  if (sample !== undefined && !(typeof sample === 'number' && sample > 0 && sample <= 100))
    bad(`sample ${String(sample)} is not a percentage`, 'use a number in (0, 100]')
  const rows = options.chunkRows
  if (rows !== undefined && !(Number.isInteger(rows) && rows > 0))
    bad(`chunkRows ${String(rows)} is not a positive integer`, 'use e.g. 50000')
}

/** Compare the tables of `databases` (filtered by `options.tables`). */
export async function runVerify(
  deps: VerifyDeps,
  databases: readonly VerifiedDatabase[],
  options: VerifyOptions,
): Promise<VerifyReport> {
  checkVerifyOptions(options)
  const mode: VerifyMode = options.mode ?? 'checksum'
  const started = Date.now()
  const selected = selectTables(databases, options.tables)
  const tally = { tables: 0, tablesDone: 0, chunks: 0, chunksDone: 0, bytes: 0, last: 0 }
  for (const d of selected) tally.tables += d.tables.length
  const progress = (force: boolean): void => {
    const now = Date.now()
    if (!force && now - tally.last < PROGRESS_EVERY_MS) return
    tally.last = now
    const elapsedMs = now - started
    const left = tally.chunks - tally.chunksDone + (tally.tables - tally.tablesDone)
    deps.emit('verify:progress', {
      taskId: deps.taskId,
      tables: tally.tables,
      tablesDone: tally.tablesDone,
      chunks: tally.chunks,
      chunksDone: tally.chunksDone,
      bytesHashed: tally.bytes,
      elapsedMs,
      etaMs:
        tally.chunksDone === 0
          ? null
          : Math.round((elapsedMs / tally.chunksDone) * Math.max(0, left)),
    })
  }
  const reports: TableVerifyReport[] = []
  for (const db of selected) {
    deps.signal.throwIfAborted()
    await withLanes(deps, db, async (lanes) => {
      const env: CheckEnv = {
        lanes,
        signal: deps.signal,
        chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS,
        share: mode === 'sample' ? (options.sample ?? DEFAULT_SAMPLE_PERCENT) / 100 : 1,
        maxDifferences: options.maxDifferences ?? DEFAULT_MAX_DIFFERENCES,
        ...syncOf(deps.sync(db.sourceDatabase)),
        onChunk: (_rows, bytes) => {
          tally.chunksDone++
          tally.bytes += bytes
          progress(false)
        },
        onChunks: (count) => {
          tally.chunks += count
        },
      }
      const results = await Promise.all(
        db.tables.map(async (t) => {
          const t0 = Date.now()
          const { checked, found } = await checkTable(db, t, env, mode)
          tally.tablesDone++
          progress(false)
          for (const diff of found.differences)
            deps.emit('verify:difference', { taskId: deps.taskId, ...diff })
          return report(checked, found, Date.now() - t0, mode)
        }),
      )
      reports.push(...results)
    })
  }
  progress(true)
  return {
    mode,
    equal: reports.every((r) => r.status === 'equal'),
    tables: reports,
    durationMs: Date.now() - started,
  }
}

/**
 * Run `work` on the lanes of `db`, closed after; an abort cancels the statements they run on both
 * servers, so none runs on after verify has returned.
 */
async function withLanes(
  deps: VerifyDeps,
  db: VerifiedDatabase,
  work: (lanes: VerifyLanes) => Promise<void>,
): Promise<void> {
  const dbOf = (side: Side): string => (side === 'source' ? db.sourceDatabase : db.targetDatabase)
  const lanes = await VerifyLanes.open(VERIFY_LANES, (side) => deps.connect(side, dbOf(side)))
  const onAbort = (): void =>
    void lanes.abort(deps.signal.reason, (side, pids) =>
      cancelBackends(() => deps.connect(side, dbOf(side)), pids),
    )
  deps.signal.addEventListener('abort', onAbort, { once: true })
  try {
    deps.signal.throwIfAborted()
    await work(lanes)
  } finally {
    deps.signal.removeEventListener('abort', onAbort)
    await lanes.close()
  }
}

/** Keep the tables `names` asks for (`schema.table` or `database.schema.table`). */
function selectTables(
  databases: readonly VerifiedDatabase[],
  names: readonly string[] | undefined,
): VerifiedDatabase[] {
  if (names === undefined) return [...databases]
  const wanted = new Set(names)
  const seen = new Set<string>()
  const out = databases.map((d) => ({
    ...d,
    tables: d.tables.filter((t) => {
      for (const n of [`${t.schema}.${t.name}`, `${d.sourceDatabase}.${t.schema}.${t.name}`]) {
        if (wanted.has(n)) {
          seen.add(n)
          return true
        }
      }
      return false
    }),
  }))
  const unknown = names.filter((n) => !seen.has(n))
  if (unknown.length > 0)
    throw new PgferryError(
      'PGFERRY_VERIFY_TABLE_UNKNOWN',
      `verify: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the tables the task migrated`,
      { fix: 'name tables as schema.table or database.schema.table, as on the source' },
    )
  return out.filter((d) => d.tables.length > 0)
}

async function checkTable(
  db: VerifiedDatabase,
  t: VerifiedTable,
  env: CheckEnv,
  mode: VerifyMode,
): Promise<{ checked: CheckedTable; found: TableFindings }> {
  const sourceQualified = quoteQualified(t.schema, t.name)
  const targetQualified = quoteQualified(t.targetSchema, t.name)
  const [shape, targetTypes] = await env.lanes.with(
    async (lane) =>
      [
        await readRowKeyShape(lane.source, t.oid),
        await columnTypes(lane.target, targetQualified),
      ] as const,
  )
  // the target's columns in the source's order, by name, with the target's types
  const onTarget = (c: RowKeyColumn): RowKeyColumn => ({
    name: c.name,
    type: targetTypes.get(c.name) ?? c.type,
  })
  const targetColumns = shape.columns.map(onTarget)
  const plain = plainColumns(
    shape.columns,
    shape.columns.filter((c) => targetTypes.has(c.name)).map(onTarget),
  )
  const checked: CheckedTable = {
    oid: t.oid,
    database: db.sourceDatabase,
    table: `${t.schema}.${t.name}`,
    targetTable: `${db.targetDatabase}.${t.targetSchema}.${t.name}`,
    columns: shape.columns.map((c) => c.name),
    key: shape.key,
    rowBytes: shape.rowBytes,
    estimatedRows: shape.estimatedRows,
    sourceQualified,
    source: rowSql(sourceQualified, shape.columns, shape.key, plain),
    target: rowSql(targetQualified, targetColumns, shape.key?.map(onTarget) ?? null, plain),
  }
  if (mode === 'count') {
    const found = noFindings()
    await env.lanes.with(async (lane) => {
      const [s, d] = await Promise.all([
        lane.source.query<{ n: string }>(checked.source.count()),
        lane.target.query<{ n: string }>(checked.target.count()),
      ])
      found.sourceRows = Number(s.rows[0]?.n ?? 0)
      found.targetRows = Number(d.rows[0]?.n ?? 0)
    })
    return { checked, found }
  }
  const found =
    shape.key === null ? await checkKeylessTable(checked, env) : await checkKeyedTable(checked, env)
  return { checked, found }
}

/** Each live column's type (as `format_type` prints it) of table `qualified`, by name. */
async function columnTypes(client: pg.Client, qualified: string): Promise<Map<string, string>> {
  const r = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [qualified],
  )
  return new Map(r.rows.map((c) => [c.name, c.type]))
}

function report(
  t: CheckedTable,
  f: TableFindings,
  durationMs: number,
  mode: VerifyMode,
): TableVerifyReport {
  // at rest a count that differs always comes with a row that differs; while a sync runs the
  // counts of a chunk are two moments apart, and only confirmed rows count
  const differs = mode === 'count' ? f.sourceRows !== f.targetRows : f.differenceCount > 0
  return {
    database: t.database,
    table: t.table,
    targetTable: t.targetTable,
    status: differs ? 'different' : 'equal',
    keyed: t.key !== null,
    sourceRows: f.sourceRows,
    targetRows: f.targetRows,
    chunks: f.chunks,
    chunksChecked: f.chunksChecked,
    chunksRechecked: f.chunksRechecked,
    durationMs,
    differences: f.differences,
    differenceCount: f.differenceCount,
  }
}
