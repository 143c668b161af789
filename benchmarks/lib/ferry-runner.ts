/**
 * The child process of {@link FerryChild}: pgferry alone in its own Node process, so that the
 * memory a benchmark reports is pgferry's and not the benchmark's own clients, pgbench driver and
 * polling. Started by `fork` with the task's source/target configs and database in
 * PGFERRY_BENCH_RUNNER (JSON); prepares the task (precheck, schema, full load), starts the
 * incremental sync and then obeys the parent's commands over IPC (ferry-child.ts).
 *
 * Memory is sampled every 100 ms (and at each `peak` command) with `process.memoryUsage()`; the
 * peak since the last `peak` command is returned with its breakdown, and with the process's CPU
 * seconds so far (user + system), from which the parent takes what a span cost.
 */
import type pg from 'pg'
import type { IncrementalSync } from '../../src/index.js'
import { prepareFerryTask } from './ferry-task.js'
import { higherPeak, memoryNow, NO_PEAK, type MemoryPeak } from './memory-peak.js'

export interface RunnerConfig {
  readonly source: pg.ClientConfig
  readonly target: pg.ClientConfig
  readonly db: string
}

export type RunnerCommand = 'pause' | 'resume' | 'peak' | 'close'
export interface RunnerRequest {
  readonly id: number
  readonly cmd: RunnerCommand
}
export type RunnerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly error: string }
  | {
      readonly kind: 'reply'
      readonly id: number
      readonly peak?: MemoryPeak
      /** The process's CPU seconds (user + system) since it started. */
      readonly cpuS?: number
    }
  | { readonly kind: 'error'; readonly id: number; readonly error: string }

const send = (m: RunnerMessage): void => void process.send?.(m)
const cpuSeconds = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
const describe = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e))

let peak = NO_PEAK
const sample = (): void => {
  peak = higherPeak(peak, memoryNow())
}
setInterval(sample, 100).unref()

let stopping = false
// After `close`, or the parent gone (crashed, killed): nothing is left to report to.
process.on('disconnect', () => process.exit(stopping ? 0 : 1))

const config = JSON.parse(process.env.PGFERRY_BENCH_RUNNER ?? 'null') as RunnerConfig | null
if (config === null) throw new Error('ferry-runner: PGFERRY_BENCH_RUNNER is not set')

const task = await prepareFerryTask(config.source, config.target, config.db)
let sync: IncrementalSync | undefined

async function start(): Promise<void> {
  const s = await task.startIncremental()
  sync = s
  s.done.catch((error: unknown) => {
    if (!stopping && sync === s) send({ kind: 'failed', error: describe(error) })
  })
}

async function pause(): Promise<void> {
  const s = sync
  sync = undefined
  await s?.stop()
}

async function run(cmd: RunnerCommand): Promise<MemoryPeak | undefined> {
  switch (cmd) {
    case 'pause':
      return void (await pause())
    case 'resume':
      return void (await start())
    case 'peak': {
      sample()
      const p = peak
      peak = NO_PEAK
      return p
    }
    case 'close':
      stopping = true
      await pause().catch(() => undefined)
      await task.close()
      return undefined
  }
}

process.on('message', (raw) => {
  const req = raw as RunnerRequest
  run(req.cmd).then(
    (p) => {
      send(
        p === undefined
          ? { kind: 'reply', id: req.id }
          : { kind: 'reply', id: req.id, peak: p, cpuS: cpuSeconds() },
      )
      if (req.cmd === 'close') process.disconnect()
    },
    (error: unknown) => send({ kind: 'error', id: req.id, error: describe(error) }),
  )
})

try {
  await start()
  send({ kind: 'ready' })
} catch (error) {
  send({ kind: 'failed', error: describe(error) })
  await task.close().catch(() => undefined)
  process.disconnect()
}
