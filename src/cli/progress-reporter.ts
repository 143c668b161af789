/**
 * Shows a task's events: stage names, schema counts, tables copied and the load's bytes, % and ETA
 * (a bar on a TTY, a line every few seconds otherwise), the lag during incremental sync, warnings.
 * With --json every event is one JSON line instead.
 */
import type { PgferryEvents, Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { formatBytes, formatSeconds } from './format-units.js'
import { progressBar } from './progress-bar.js'

/** Plain (non-TTY) progress lines at most this often, so that logs stay readable. */
const PLAIN_PROGRESS_INTERVAL_MS = 5000

/** Events shown as JSON lines with --json (`error` too: errors are printed by main anyway). */
const JSON_EVENTS: readonly (keyof PgferryEvents)[] = [
  'stage:start',
  'stage:done',
  'task:state',
  'precheck:item',
  'schema:done',
  'table:copied',
  'load:progress',
  'wal:lag',
  'warning',
]

/** Subscribe `out` to `task`'s events; returns the function that unsubscribes. */
export function attachProgress(task: Task, out: CliOutput): () => void {
  const off: (() => void)[] = []
  const on = <K extends keyof PgferryEvents>(name: K, fn: (e: PgferryEvents[K]) => void): void => {
    const listener = fn as never
    task.on(name, listener)
    off.push(() => task.off(name, listener))
  }

  if (out.json) {
    for (const name of JSON_EVENTS) {
      on(name, (e) => {
        const { taskId: _id, ...rest } = e as unknown as Record<string, unknown>
        out.jsonLine({ event: name, ...rest })
      })
    }
    return () => off.forEach((f) => f())
  }

  let lastPlain = 0
  let lastLag = ''
  let lastLagAt = 0
  const lags = new Map<string, PgferryEvents['wal:lag']>()
  on('stage:start', (e) => {
    out.clearStatus()
    out.line(`stage ${e.stage}: started`)
  })
  on('stage:done', (e) => {
    out.clearStatus()
    out.line(`stage ${e.stage}: done in ${formatSeconds(e.durationMs / 1000)}`)
  })
  on('schema:done', (e) => {
    const counts = Object.entries(e.counts)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ')
    out.line(
      `  structure (${e.phase}): ${counts || 'nothing to create'}${e.skipped > 0 ? `, ${e.skipped} skipped` : ''}`,
    )
  })
  on('table:copied', (e) => {
    out.line(`  copied ${e.database}.${e.table}: ${e.rows} rows, ${formatBytes(e.bytes)}`)
  })
  on('load:progress', (e) => {
    const eta = e.etaSeconds === undefined ? '' : `, ETA ${formatSeconds(e.etaSeconds)}`
    const text = `${progressBar(e.percent)} ${e.percent.toFixed(0)}%  tables ${e.tablesDone}/${e.tablesTotal}, ${formatBytes(e.bytesDone)} of ${formatBytes(e.bytesTotal)}${eta}`
    const now = Date.now()
    const finished = e.tablesDone === e.tablesTotal
    const plain = finished || now - lastPlain >= PLAIN_PROGRESS_INTERVAL_MS
    if (plain) lastPlain = now
    out.status(out.live ? text : `  load ${text}`, plain)
  })
  on('wal:lag', (e) => {
    lags.set(e.database, e)
    const parts = [...lags.values()].map(
      (l) => `${l.database} ${formatBytes(l.lagBytes)} / ${l.lagSeconds.toFixed(1)}s`,
    )
    const text = `  sync lag: ${parts.join(', ')}`
    // plain output: a line when the lag changes, else one every few seconds as a heartbeat
    const now = Date.now()
    const plain = text !== lastLag || now - lastLagAt >= PLAIN_PROGRESS_INTERVAL_MS
    if (plain) {
      lastLag = text
      lastLagAt = now
    }
    out.status(text, plain)
  })
  on('warning', (e) => {
    out.line(`  warning ${e.code}: ${e.message}${e.object === undefined ? '' : ` (${e.object})`}`)
  })
  return () => {
    off.forEach((f) => f())
    out.clearStatus()
  }
}
