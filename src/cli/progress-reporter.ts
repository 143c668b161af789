/**
 * Shows a task's events: stage names, schema counts, tables copied and the load's bytes, % and ETA
 * (a bar on a TTY that moves within a chunk, a line every few seconds otherwise), the post-data
 * phase ("building indexes 3/7"), the lag with rows/s and transactions/s during incremental sync,
 * warnings. With --json every event is one JSON line instead.
 */
import type { PgferryEvents, Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { withCliFix } from './format-error.js'
import { formatBytes, formatSeconds } from './format-units.js'
import { progressBar } from './progress-bar.js'

/** Plain (non-TTY) progress lines at most this often, so that logs stay readable. */
const PLAIN_PROGRESS_INTERVAL_MS = 5000

/** Events shown as JSON lines with --json (`error` too: errors are printed by main anyway). */
const JSON_EVENTS: readonly (keyof PgferryEvents)[] = [
  'stage:start',
  'stage:done',
  'task:state',
  'task:paused',
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
    for (const name of JSON_EVENTS) on(name, (e) => jsonEvent(out, name, e))
    return () => off.forEach((f) => f())
  }

  let lastPlain = 0
  let lastPhase = ''
  let lastLag = ''
  let lastLagAt = 0
  const lags = new Map<string, PgferryEvents['wal:lag']>()
  const rate = new ApplyRate()
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
    const text = loadText(e)
    // plain output: a line when the phase changes (copying → building indexes → done), else one
    // every few seconds
    const phase = loadPhase(e)
    const now = Date.now()
    const plain = phase !== lastPhase || now - lastPlain >= PLAIN_PROGRESS_INTERVAL_MS
    if (plain) {
      lastPlain = now
      lastPhase = phase
    }
    out.status(out.live ? text : `  load ${text}`, plain)
  })
  on('apply:batch', (e) => rate.add(e.rows, e.transactions))
  on('wal:lag', (e) => {
    lags.set(e.database, e)
    const parts = [...lags.values()].map(
      (l) => `${l.database} ${formatBytes(l.lagBytes)} / ${l.lagSeconds.toFixed(1)}s`,
    )
    const text = `  sync lag: ${parts.join(', ')}; ${rate.text()}`
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

/** The load's live line: the bar while copying, then the post-data phase, then done. */
function loadText(e: PgferryEvents['load:progress']): string {
  const bar = `${progressBar(e.percent)} ${e.percent.toFixed(0)}%`
  const phase = loadPhase(e)
  if (phase === 'copying') {
    const eta = e.etaSeconds === undefined ? '' : `, ETA ${formatSeconds(e.etaSeconds)}`
    return `${bar}  tables ${e.tablesDone}/${e.tablesTotal}, ${formatBytes(e.bytesDone)} of ${formatBytes(e.bytesTotal)}${eta}`
  }
  if (phase === 'indexes')
    return `${bar}  data copied (${e.tablesTotal} tables); building indexes ${e.postDataDone}/${e.postDataTotal}`
  return `${bar}  tables ${e.tablesDone}/${e.tablesTotal}, indexes ${e.postDataDone}/${e.postDataTotal}`
}

/** Which part of the load a progress event is in. */
function loadPhase(e: PgferryEvents['load:progress']): 'copying' | 'indexes' | 'done' {
  if (e.tablesDone < e.tablesTotal) return 'copying'
  return e.postDataDone < e.postDataTotal ? 'indexes' : 'done'
}

/** Rows and transactions applied per second, over the time since the last reading. */
class ApplyRate {
  #rows = 0
  #transactions = 0
  #since = Date.now()
  #last = '0 rows/s, 0 transactions/s'

  add(rows: number, transactions: number): void {
    this.#rows += rows
    this.#transactions += transactions
  }

  /** The rates since the last reading (kept for readings less than a second apart). */
  text(): string {
    const now = Date.now()
    const seconds = (now - this.#since) / 1000
    if (seconds < 1) return this.#last
    this.#last = `${(this.#rows / seconds).toFixed(0)} rows/s, ${(this.#transactions / seconds).toFixed(0)} transactions/s`
    this.#rows = 0
    this.#transactions = 0
    this.#since = now
    return this.#last
  }
}

/** An event as a --json line, without the task id the `task` line already gave. */
function jsonEvent(out: CliOutput, name: keyof PgferryEvents, e: unknown): void {
  const { taskId: _id, ...rest } = e as { taskId?: unknown; fix?: string; cliFix?: string }
  // a precheck item's fix in the command line's words
  out.jsonLine(name, withCliFix(rest))
}
