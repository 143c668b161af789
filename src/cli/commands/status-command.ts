/**
 * `pgferry status ID`: one task as the store keeps it.
 */
import {
  PgferryError,
  taskSlots,
  taskStatus,
  type TaskSlot,
  type TaskStatusReport,
  type LiveFigures,
} from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { describeConnection } from '../describe-connection.js'
import { EXIT } from '../exit-codes.js'
import { formatBytes } from '../format-units.js'
import { taskSummary } from '../task-summary.js'

/** `pgferry status ID --target URL [--source URL] [--json]`. */
export const statusCommand: Command = async ({ id, flags, out, secrets }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'status')
  let report: TaskStatusReport | undefined
  try {
    report = await taskStatus(id ?? '', { target })
  } catch (error) {
    if (!(error instanceof PgferryError && error.code === 'PGFERRY_TASK_NOT_FOUND')) throw error
  }
  if (report === undefined) {
    out.error(`no task ${id ?? ''} in the store on ${describeConnection(target)}`)
    out.error(`  fix: 'pgferry list --target <target URL>' shows the tasks it has`)
    return EXIT.FAILED
  }
  const record = report.task
  const s = taskSummary(record)
  const runner = report.runner
  const live = liveJson(report)
  const sourceUrl = flags.string('source')
  const slots: TaskSlot[] | undefined =
    sourceUrl === undefined
      ? undefined
      : await taskSlots(record.id, {
          source: cliConnection('source', sourceUrl, secrets, 'status'),
        })
  if (out.json) {
    out.jsonLine(
      slots === undefined
        ? { ...s, ...live }
        : {
            ...s,
            ...live,
            slots: slots.map((x) => ({
              ...x,
              retainedBytes: x.retainedBytes?.toString() ?? null,
              lagBytes: x.lagBytes?.toString() ?? null,
            })),
          },
    )
    return EXIT.OK
  }
  const rows: [string, string][] = [
    ['id', s.id],
    ['name', s.name],
    ['type', s.type],
    ['state', s.state],
    [
      'runner',
      runner === undefined
        ? 'stopped (no process has run it)'
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
  for (const w of report.warnings)
    rows.push(['warning', `${iso(w.at)} ${String(w.payload.code)}: ${String(w.payload.message)}`])
  for (const e of report.errors) {
    const err = e.payload.error as { code?: unknown; message?: unknown } | undefined
    rows.push(['error', `${iso(e.at)} ${String(err?.code)}: ${String(err?.message)}`])
  }
  for (const x of slots ?? []) rows.push(['slot', slotText(x)])
  if (slots !== undefined && slots.length === 0) rows.push(['slot', 'none on the source'])
  if (runner?.running === true) rows.push(...liveRows(runner.live))
  rows.push(['next', report.next ?? 'nothing: the task is completed'])
  for (const [k, v] of rows) out.line(`${k.padEnd(8)} ${v}`)
  return EXIT.OK
}

/** The runner, warnings, errors and next step, JSON-safe (dates as ISO text). */
function liveJson(report: TaskStatusReport): Record<string, unknown> {
  const runner = report.runner
  return {
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
    warnings: report.warnings.map((e) => ({ at: e.at, ...e.payload })),
    errors: report.errors.map((e) => ({ at: e.at, ...e.payload })),
    next: report.next ?? null,
  }
}

/** One replication slot of the task on the source. */
function slotText(x: TaskSlot): string {
  return `${x.slot} (${x.database}${x.active ? ', streaming' : ''}): lag ${x.lagBytes === undefined ? '-' : formatBytes(x.lagBytes)}, retains ${x.retainedBytes === undefined ? '-' : formatBytes(x.retainedBytes)} of WAL on the source${x.walStatus === undefined ? '' : `, wal_status ${x.walStatus}`}`
}

/** The running process's figures from its last heartbeat. */
function liveRows(live: LiveFigures | undefined): [string, string][] {
  const rows: [string, string][] = []
  if (live?.load !== undefined) {
    const l = live.load
    rows.push([
      'load',
      `${l.percent.toFixed(1)} %, ${l.tablesDone}/${l.tablesTotal} tables${l.etaSeconds === null ? '' : `, ETA ${Math.round(l.etaSeconds)} s`}`,
    ])
  }
  for (const [db, lag] of Object.entries(live?.lag ?? {}))
    rows.push(['lag', `${db}: ${formatBytes(lag.bytes)} / ${lag.seconds.toFixed(1)} s behind`])
  if (live?.appliedRowsPerSecond !== undefined)
    rows.push([
      'applied',
      `${live.appliedRowsPerSecond.toFixed(1)} rows/s, ${(live.appliedTransactionsPerSecond ?? 0).toFixed(1)} transactions/s`,
    ])
  return rows
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z')
}
