/**
 * What `pgferry status` shows, built once from a task's status report (and its slots, when the
 * source was given): the same content as text rows for a person and as one JSON object for
 * machines (`--json`, a `status` line).
 */
import type {
  LiveFigures,
  TableProgress,
  TaskSlot,
  TaskStatusReport,
  TaskWorker,
} from '../index.js'
import { cliEventFix, cliEventPayload } from './format-error.js'
import { formatBytes, formatSeconds } from './format-units.js'
import { taskSummary } from './task-summary.js'

/** Tables listed one per row in the text view; the rest are counted by state. */
const TABLE_ROWS = 15

/** The order tables are listed in: the ones that move first. */
const STATE_ORDER: Readonly<Record<TableProgress['state'], number>> = {
  copying: 0,
  'post-data': 1,
  waiting: 2,
  done: 3,
}

/** The status as one JSON-safe object (dates as ISO text, WAL figures of slots as decimal text). */
export function statusJson(
  report: TaskStatusReport,
  slots: readonly TaskSlot[] | undefined,
): Record<string, unknown> {
  const runner = report.runner
  return {
    ...taskSummary(report.task),
    runState: report.runState,
    runner:
      runner === undefined
        ? null
        : {
            running: runner.running,
            pid: runner.pid,
            host: runner.host,
            since: runner.since.toISOString(),
            lastBeat: runner.lastBeat.toISOString(),
            live: runner.live ?? null,
          },
    tables: report.tables,
    workers: report.workers.map((w) => ({
      ...w,
      lastBeat: w.lastBeat.toISOString(),
      jobs: w.jobs.map((j) => ({ ...j, since: j.since.toISOString() })),
    })),
    warnings: report.warnings.map((e) => ({ at: e.at, ...e.payload })),
    errors: report.errors.map((e) => ({ at: e.at, ...cliEventPayload(e.payload, report.task.id) })),
    next: report.next ?? null,
    completable: report.completable,
    ...(slots === undefined
      ? {}
      : {
          slots: slots.map((x) => ({
            ...x,
            retainedBytes: x.retainedBytes?.toString() ?? null,
            lagBytes: x.lagBytes?.toString() ?? null,
          })),
        }),
  }
}

/** The status as `[label, text]` rows. */
export function statusRows(
  report: TaskStatusReport,
  slots: readonly TaskSlot[] | undefined,
): [string, string][] {
  const s = taskSummary(report.task)
  const runner = report.runner
  const rows: [string, string][] = [
    ['id', s.id],
    ['name', s.name],
    ['type', s.taskType],
    ['state', s.state],
    [
      'runner',
      runner === undefined
        ? 'stopped (no process runs it now)'
        : `${report.runState}: pid ${runner.pid} on host ${runner.host} since ${iso(runner.since)}, last heartbeat ${iso(runner.lastBeat)}`,
    ],
    ['stage', s.stage ?? '-'],
    ['source', s.source ?? '-'],
    ['target', s.target ?? '-'],
    ['created', s.createdAt],
    ['updated', s.updatedAt],
  ]
  if (s.skippedChecks.length > 0) rows.push(['skipped', s.skippedChecks.join(', ')])
  if (s.error !== undefined) rows.push(['error', s.error])
  const live = runner?.running === true ? runner.live : undefined
  rows.push(...loadRows(live), ...tableRows(report.tables))
  for (const w of report.workers) rows.push(['worker', workerText(w)])
  rows.push(...syncRows(live))
  for (const x of slots ?? []) rows.push(['slot', slotText(x)])
  if (slots !== undefined && slots.length === 0) rows.push(['slot', 'none on the source'])
  for (const w of report.warnings)
    rows.push(['warning', `${iso(w.at)} ${String(w.payload.code)}: ${String(w.payload.message)}`])
  for (const e of report.errors) {
    const err = e.payload.error as { code?: unknown; message?: unknown } | undefined
    rows.push(['error', `${iso(e.at)} ${String(err?.code)}: ${String(err?.message)}`])
    const fix = cliEventFix(e.payload, report.task.id)
    if (fix !== undefined) rows.push(['', `fix: ${fix}`])
  }
  rows.push(['next', report.next ?? 'nothing: the task is completed'])
  return rows
}

/** The running full load's overall progress, and its post-data phase. */
function loadRows(live: LiveFigures | undefined): [string, string][] {
  const l = live?.load
  if (l === undefined) return []
  const eta = l.etaSeconds === null ? '' : `, ETA ${formatSeconds(l.etaSeconds)}`
  const rows: [string, string][] = [
    ['load', `${l.percent.toFixed(1)} %, ${l.tablesDone}/${l.tablesTotal} tables${eta}`],
  ]
  if ((l.postDataTotal ?? 0) > 0)
    rows.push(['indexes', `post-data steps ${l.postDataDone ?? 0}/${l.postDataTotal ?? 0} built`])
  return rows
}

/** One row per table (the moving ones first), the rest counted. */
function tableRows(tables: readonly TableProgress[]): [string, string][] {
  if (tables.length === 0) return []
  const sorted = [...tables].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state])
  const rows: [string, string][] = sorted
    .slice(0, TABLE_ROWS)
    .map((t) => ['table', tableText(t, new Set(tables.map((x) => x.database)).size > 1)])
  const rest = sorted.slice(TABLE_ROWS)
  if (rest.length > 0) {
    const by = new Map<string, number>()
    for (const t of rest) by.set(t.state, (by.get(t.state) ?? 0) + 1)
    const counts = [...by].map(([state, n]) => `${n} ${state}`).join(', ')
    rows.push(['table', `… and ${rest.length} more (${counts}); --json lists every table`])
  }
  return rows
}

function tableText(t: TableProgress, withDb: boolean): string {
  const name = `${withDb ? `${t.database}.` : ''}${t.table}`
  const steps = t.postDataTotal === 0 ? '' : `, indexes ${t.postDataDone}/${t.postDataTotal}`
  switch (t.state) {
    case 'waiting':
      return `${name}: waiting (${formatBytes(t.sourceBytes)} on the source)`
    case 'copying':
      return `${name}: copying, ${formatBytes(t.bytes)} sent, ${t.rows} rows committed (${formatBytes(t.sourceBytes)} on the source)`
    case 'post-data':
      return `${name}: building indexes ${t.postDataDone}/${t.postDataTotal}, ${t.rows} rows copied`
    case 'done':
      return `${name}: done, ${t.rows} rows, ${formatBytes(t.bytes)}${steps}`
  }
}

/** One worker of the load: who, what it holds now, its last beat. */
function workerText(w: TaskWorker): string {
  const jobs = w.jobs.map((j) => `${j.kind} ${j.database}:${j.name} since ${iso(j.since)}`)
  const doing = w.busy
    ? jobs.join('; ')
    : jobs.length > 0
      ? `stopped beating while it held ${jobs.join('; ')} (handed to another worker after the job timeout)`
      : 'idle for this task'
  return `${w.worker} (pid ${w.pid} on ${w.host}): ${doing}, last beat ${iso(w.lastBeat)}`
}

/** Lag, WAL retained and apply rates from the running process's last heartbeat. */
function syncRows(live: LiveFigures | undefined): [string, string][] {
  const rows: [string, string][] = []
  for (const [db, lag] of Object.entries(live?.lag ?? {}))
    rows.push(['lag', `${db}: ${formatBytes(lag.bytes)} / ${lag.seconds.toFixed(1)} s behind`])
  for (const [db, r] of Object.entries(live?.retained ?? {}))
    rows.push([
      'retained',
      `${db}: the slot holds ${formatBytes(r.bytes)} of WAL on the source${r.walStatus === null ? '' : ` (wal_status ${r.walStatus})`}`,
    ])
  if (live?.appliedRowsPerSecond !== undefined)
    rows.push([
      'applied',
      `${live.appliedRowsPerSecond.toFixed(1)} rows/s, ${(live.appliedTransactionsPerSecond ?? 0).toFixed(1)} transactions/s`,
    ])
  return rows
}

/** One replication slot of the task on the source. */
function slotText(x: TaskSlot): string {
  return `${x.slot} (${x.database}${x.active ? ', streaming' : ''}): lag ${x.lagBytes === undefined ? '-' : formatBytes(x.lagBytes)}, retains ${x.retainedBytes === undefined ? '-' : formatBytes(x.retainedBytes)} of WAL on the source${x.walStatus === undefined ? '' : `, wal_status ${x.walStatus}`}`
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z')
}
