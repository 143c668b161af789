/**
 * pgferry embedded in a service: one online migration (`full+incremental`) run inside a long-lived
 * Node process, its events written as JSON log lines and counted in Prometheus metrics, with a small
 * HTTP interface:
 *
 *   GET  /metrics   the migration's metrics, Prometheus text format
 *   GET  /healthz   200 with the task's state while the migration is healthy
 *   POST /cutover   stop your application's writes first; then this completes the migration
 *                   (drains, verifies every row, drops slot and publication) and the service exits
 *
 * SOURCE_URL=postgres://migrator:…@old:5432/shop TARGET_URL=postgres://admin:…@new:5432/postgres \
 *   PORT=9187 npx tsx examples/embedded-service/main.ts
 *
 * The database in SOURCE_URL is migrated under the same name; the database in TARGET_URL holds
 * pgferry's progress store. SIGINT or SIGTERM stops the sync and leaves the task resumable (see
 * resumable-job.ts for picking a task up again after a restart).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  TASK_TRANSITIONS,
  createTask,
  type IncrementalSync,
  type Task,
  type TaskState,
} from '../../src/index.js' // in your service: from 'pgferry'
import { Metrics } from './metrics.js'

/** A required setting from the environment. */
function env(name: 'SOURCE_URL' | 'TARGET_URL'): string {
  const value = process.env[name]
  if (value) return value
  console.error('set SOURCE_URL (the database to migrate) and TARGET_URL (the target cluster)')
  process.exit(2)
}
const SOURCE_URL = env('SOURCE_URL')
const TARGET_URL = env('TARGET_URL')
const PORT = process.env.PORT ?? '9187'
const database = decodeURIComponent(new URL(SOURCE_URL).pathname.slice(1))

/** One JSON object per line, the shape log shippers expect. */
function log(level: 'info' | 'warn' | 'error', msg: string, fields: object = {}): void {
  const line = { time: new Date().toISOString(), level, msg, ...fields }
  // a PgferryError serialises itself (code, message, fix); any other error by name and message
  const errors = (_: string, v: unknown): unknown =>
    v instanceof Error ? { name: v.name, message: v.message } : v
  console.log(JSON.stringify(line, errors))
}

const metrics = new Metrics()
const state = metrics.gauge('pgferry_task_state', 'The task state (1 for the current one)')
const copiedRows = metrics.counter('pgferry_copied_rows_total', 'Rows copied by the full load')
const copiedBytes = metrics.counter('pgferry_copied_bytes_total', 'Bytes copied by the full load')
const loadPercent = metrics.gauge('pgferry_load_percent', 'Full load progress, percent of bytes')
const lagBytes = metrics.gauge('pgferry_lag_bytes', 'WAL the target is behind the source')
const lagSeconds = metrics.gauge('pgferry_lag_seconds', 'Seconds the target is behind the source')
const retained = metrics.gauge('pgferry_wal_retained_bytes', 'WAL the slot holds on the source')
const appliedRows = metrics.counter('pgferry_applied_rows_total', 'Row changes applied by the sync')
const appliedTx = metrics.counter('pgferry_applied_transactions_total', 'Transactions applied')
const warnings = metrics.counter('pgferry_warnings_total', 'Warnings, by code')

/** Log every event that matters to an operator and keep the metrics current. */
function observe(task: Task): void {
  const setState = (current: TaskState): void => {
    for (const s of Object.keys(TASK_TRANSITIONS)) state.set({ state: s }, s === current ? 1 : 0)
  }
  setState(task.state)
  task.on('task:state', (e) => {
    setState(e.to)
    log('info', 'task state', { from: e.from, to: e.to })
  })
  task.on('stage:done', (e) => log('info', 'stage done', { stage: e.stage, ms: e.durationMs }))
  task.on('precheck:item', (e) => {
    if (e.status !== 'pass')
      log('warn', 'precheck item', { id: e.id, status: e.status, fix: e.fix })
  })
  task.on('table:copied', (e) => {
    copiedRows.inc({ table: e.table }, e.rows)
    copiedBytes.inc({ table: e.table }, e.bytes)
    log('info', 'table copied', { table: e.table, rows: e.rows, ms: e.durationMs })
  })
  task.on('load:progress', (e) => loadPercent.set({}, e.percent))
  task.on('wal:lag', (e) => {
    lagBytes.set({ database: e.database }, e.lagBytes)
    lagSeconds.set({ database: e.database }, e.lagSeconds)
  })
  task.on('wal:retained', (e) => retained.set({ database: e.database }, e.retainedBytes))
  task.on('apply:batch', (e) => {
    appliedRows.inc({ database: e.database }, e.rows)
    appliedTx.inc({ database: e.database }, e.transactions)
  })
  task.on('warning', (e) => {
    warnings.inc({ code: e.code })
    log('warn', e.message, { code: e.code, object: e.object })
  })
  // error events carry a PgferryError, which serialises with its code and fix
  task.on('error', (e) => log('error', 'stage failed', { stage: e.stage, error: e.error }))
}

const task = await createTask({
  name: `service: ${database}`,
  source: SOURCE_URL,
  target: TARGET_URL,
  type: 'full+incremental',
  objects: { databases: { [database]: true } },
})
observe(task)

let sync: IncrementalSync | undefined
let cutover: Promise<void> | undefined

let exiting: Promise<never> | undefined
function shutdown(code: number): Promise<never> {
  exiting ??= (async () => {
    await task.close() // slots stay on the source unless the task completed: it can resume
    server.close()
    process.exit(code)
  })()
  return exiting
}

async function completeAndExit(): Promise<void> {
  try {
    const r = await task.complete()
    log('info', 'migration completed', { verified: r.tablesVerified, fenceLsn: r.fenceLsn })
    await shutdown(0)
  } catch (error) {
    log('error', 'cutover failed', { error })
    await shutdown(1)
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render())
  } else if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(task.state === 'failed' ? 500 : 200).end(task.state)
  } else if (req.method === 'POST' && req.url === '/cutover') {
    if (task.state !== 'incremental_sync' || sync === undefined) {
      res.writeHead(409).end(`the task is ${task.state}; cutover needs incremental_sync\n`)
      return
    }
    cutover ??= completeAndExit()
    res.writeHead(202).end('cutover started\n')
  } else {
    res.writeHead(404).end()
  }
})
server.listen(Number(PORT), '127.0.0.1', () =>
  log('info', 'listening', { port: (server.address() as AddressInfo).port, task: task.id }),
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(0))

try {
  // precheck, structure, full load, then the sync: run() returns while the sync streams
  const { results } = await task.run()
  sync = results.incremental as IncrementalSync
  log('info', 'sync running; POST /cutover after stopping writes', { task: task.id })
  // a sync that fails later (the source gone for good, a slot lost) ends the service
  sync.done.catch(() => (cutover === undefined ? shutdown(1) : undefined))
} catch (error) {
  log('error', 'migration failed', { error })
  await shutdown(1)
}
