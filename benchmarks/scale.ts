/**
 * bench:scale — one full load spread over 1, 2 and 4 worker processes (issue 15), on this machine.
 *
 * The data set of bench:verify (lib/verify-dataset.ts; default ROWS = 6 000 000, about 1.5 GB),
 * tables split in SPLIT_MB chunks (default 64) so every worker has work. Each worker count
 * (WORKERS, default `1,2,4`) runs REPS times (default 2), interleaved: 1 2 4 4 2 1 …, so no count
 * always runs on warmer caches or a quieter moment. Per run: a fresh target database (a unique
 * name, dropped after the run), a `full` task with `workers`, precheck and structure in this
 * process, then the full load timed with N worker children (`test/harness/worker-child.ts`, one
 * job at a time each).
 *
 * CPU seconds from /proc (lib/proc-cpu.ts): this coordinator (process.cpuUsage, the sampling
 * included), each worker, and each server's postmaster and children, sampled every 200 ms with each
 * process's last reading kept, so backends that ended during the run are counted (up to 200 ms
 * each may be missed). On a 2-core machine every figure is bound by the servers' CPU: workers add parallel
 * COPY sessions, not cores; the CPU figures are the ones to scale from.
 *
 * Prints a `RESULT name=scale …` line per run, then per worker count `MEDIAN name=scale workers=N
 * runs=… seconds=… rows_per_s=… speedup=… cpu_…` (medians; speedup = the 1-worker median time ÷
 * this one's).
 */
import os from 'node:os'
import type { ChildProcess } from 'node:child_process'
import pg from 'pg'
import { createTask } from '../src/index.js'
import { startCluster, type Cluster } from '../test/harness/cluster.js'
import { spawnTs, watchLines } from '../test/harness/child.js'
import { passPrecheck } from '../test/harness/pass-precheck.js'
import { machineHeader } from './lib/machine-header.js'
import { ProcCpu } from './lib/proc-cpu.js'
import { fmt, median } from './lib/stats.js'
import { ROWS_1_5_GB, SEED, SETTINGS } from './lib/verify-dataset.js'

const ROWS = Number(process.env.ROWS ?? ROWS_1_5_GB)
const REPS = Number(process.env.REPS ?? 2)
const SPLIT_MB = Number(process.env.SPLIT_MB ?? 64)
const COUNTS = (process.env.WORKERS ?? '1,2,4').split(',').map(Number)

/** One run's figures. */
interface Run {
  readonly workers: number
  readonly seconds: number
  readonly rows: number
  readonly coordinator: number
  readonly workerCpu: readonly number[]
  readonly source: number
  readonly target: number
  readonly load1: number
}

async function startWorkers(queueUrl: string, n: number): Promise<ChildProcess[]> {
  const workers: ChildProcess[] = []
  for (let i = 0; i < n; i++) {
    const child = spawnTs('test/harness/worker-child.ts', [queueUrl, '1'])
    workers.push(child)
    await watchLines(child).until((l) => l.startsWith('READY'), 120_000)
  }
  return workers
}

async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  // a worker of this run must not claim a job of the next one
  await Promise.all(
    workers.map(async (w) => {
      if (w.exitCode !== null || w.signalCode !== null) return
      const exited = new Promise<void>((r) => w.once('exit', () => r()))
      w.kill('SIGTERM')
      await exited
    }),
  )
}

async function run(
  source: Cluster,
  target: Cluster,
  queueUrl: string,
  n: number,
  rep: number,
): Promise<Run> {
  const tdb = await target.createDatabase(`scale_w${n}_r${rep}`)
  const task = await createTask({
    name: `bench-scale-${n}-${rep}`,
    source: source.config('scale'),
    target: target.config(tdb),
    type: 'full',
    objects: { databases: { scale: { as: tdb } } },
    splitTablesLargerThan: SPLIT_MB * 1024 * 1024,
    workers: { queue: queueUrl },
  })
  let workers: ChildProcess[] = []
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    workers = await startWorkers(queueUrl, n)
    const me = process.cpuUsage()
    const workerPids = workers.map((w) => w.pid ?? 0)
    const cpu = new ProcCpu((pid, ppid) => {
      if (pid === source.pid || ppid === source.pid) return 'source'
      if (pid === target.pid || ppid === target.pid) return 'target'
      const i = workerPids.indexOf(pid)
      return i < 0 ? undefined : `worker${i}`
    }, 200)
    cpu.start()
    const t0 = performance.now()
    const r = await task.fullLoad()
    const seconds = (performance.now() - t0) / 1000
    const used = cpu.stop()
    const mine = process.cpuUsage(me)
    return {
      workers: n,
      seconds,
      rows: r.rows,
      coordinator: (mine.user + mine.system) / 1e6,
      workerCpu: workerPids.map((_, i) => used[`worker${i}`] ?? 0),
      source: used.source ?? 0,
      target: used.target ?? 0,
      load1: os.loadavg()[0] ?? NaN,
    }
  } finally {
    await stopWorkers(workers)
    await task.close()
    await target.query(`DROP DATABASE IF EXISTS "${tdb}" WITH (FORCE)`)
  }
}

function resultLine(r: Run): string {
  return (
    `RESULT name=scale workers=${r.workers} seconds=${fmt(r.seconds)} rows=${r.rows} rows_per_s=${fmt(r.rows / r.seconds, 0)}` +
    ` cpu_coordinator_s=${fmt(r.coordinator)} cpu_workers_s=${r.workerCpu.map((x) => fmt(x)).join('+')}` +
    ` cpu_source_s=${fmt(r.source)} cpu_target_s=${fmt(r.target)} load1=${fmt(r.load1)}`
  )
}

function medianLine(runs: readonly Run[], n: number, oneWorkerSeconds: number): string {
  const of = runs.filter((r) => r.workers === n)
  const m = (f: (r: Run) => number): number => median(of.map(f))
  const seconds = m((r) => r.seconds)
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
  return (
    `MEDIAN name=scale workers=${n} runs=${of.length} seconds=${fmt(seconds)} rows_per_s=${fmt(
      m((r) => r.rows / r.seconds),
      0,
    )}` +
    ` speedup=${fmt(oneWorkerSeconds / seconds)} cpu_coordinator_s=${fmt(m((r) => r.coordinator))}` +
    ` cpu_workers_total_s=${fmt(m((r) => sum(r.workerCpu)))} cpu_source_s=${fmt(m((r) => r.source))}` +
    ` cpu_target_s=${fmt(m((r) => r.target))} load1=${of.map((r) => fmt(r.load1)).join(',')}`
  )
}

async function seed(source: Cluster): Promise<void> {
  await source.query('CREATE DATABASE scale')
  const c = new pg.Client(source.config('scale'))
  c.on('error', () => undefined)
  await c.connect()
  try {
    await c.query(SEED(ROWS))
    // VACUUM cannot run in the implicit transaction of a multi-statement query
    await c.query('VACUUM ANALYZE')
    const size = await c.query<{ s: string }>(`SELECT pg_database_size('scale')::text AS s`)
    console.log(
      `dataset: ROWS=${ROWS} size_mb=${fmt(Number(size.rows[0]?.s) / 2 ** 20, 0)} split_mb=${SPLIT_MB} reps=${REPS}`,
    )
  } finally {
    await c.end()
  }
}

async function main(): Promise<void> {
  const [source, target] = await Promise.all([
    startCluster({ major: 16, settings: SETTINGS }),
    startCluster({ major: 16, settings: SETTINGS }),
  ])
  try {
    for (const line of await machineHeader({ source, target })) console.log(line)
    await seed(source)
    const queueUrl = target.url(await target.createDatabase('queue'))
    const runs: Run[] = []
    for (let rep = 0; rep < REPS; rep++) {
      // 1 2 4, then 4 2 1: each count runs early and late as often
      const order = rep % 2 === 0 ? COUNTS : [...COUNTS].reverse()
      for (const n of order) {
        const r = await run(source, target, queueUrl, n, rep)
        runs.push(r)
        console.log(resultLine(r))
      }
    }
    const first = COUNTS[0] ?? 1
    const base = median(runs.filter((r) => r.workers === first).map((r) => r.seconds))
    for (const n of COUNTS) console.log(medianLine(runs, n, base))
  } finally {
    await Promise.all([source.stop(), target.stop()])
  }
}

await main()
