/**
 * bench:scale — one full load spread over 1, 2 and 4 worker processes (issue 15), on this machine.
 *
 * Data like bench:verify's (accounts, wide_events, nopk_log, docs_toast; ROWS rows, default 200k),
 * tables split in SPLIT_MB chunks (default 8) so every worker has work. Per worker count: a fresh
 * target database, a `full` task with `workers`, precheck and structure in this process, then the
 * full load timed with N worker children (`test/harness/worker-child.ts`, one job at a time each).
 * CPU seconds of every process are read from /proc: this coordinator, each worker, and each
 * server's backends (children of its postmaster). On a 2-core machine every figure is bound by
 * the servers' CPU: workers add parallel COPY sessions, not cores.
 *
 * Prints `RESULT name=scale workers=N seconds=… rows_per_s=… cpu_coordinator_s=… cpu_workers_s=…
 * cpu_source_s=… cpu_target_s=… load1=…`.
 */
import os from 'node:os'
import { readFileSync, readdirSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { createTask } from '../src/index.js'
import { startCluster, type Cluster } from '../test/harness/cluster.js'
import { spawnTs, watchLines } from '../test/harness/child.js'
import { passPrecheck } from '../test/harness/pass-precheck.js'
import { machineHeader } from './lib/machine-header.js'
import { fmt } from './lib/stats.js'

const ROWS = Number(process.env.ROWS ?? 200_000)
const SPLIT_MB = Number(process.env.SPLIT_MB ?? 8)
const COUNTS = (process.env.WORKERS ?? '1,2,4').split(',').map(Number)
const TICK = 100 // clock ticks per second on Linux

const SEED = (rows: number): string => `
CREATE TABLE accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));
INSERT INTO accounts SELECT g, 1 + g / 100000, 0, '' FROM generate_series(1, ${rows}) g;
CREATE TABLE wide_events (id bigint PRIMARY KEY, at timestamptz, kind text, n numeric(14,4), js jsonb, u uuid, note varchar(64));
INSERT INTO wide_events SELECT g, timestamptz '2024-01-01' + g * interval '1 second', 'kind' || g % 17, g / 7.0,
  jsonb_build_object('g', g, 'k', g % 9), md5(g::text)::uuid, 'note ' || g FROM generate_series(1, ${Math.round(rows / 4)}) g;
CREATE TABLE nopk_log (at timestamptz, level text, msg text);
INSERT INTO nopk_log SELECT timestamptz '2024-01-01' + g * interval '1 second', 'level' || g % 5, repeat('m', 40) || g
  FROM generate_series(1, ${Math.round(rows / 8)}) g;
CREATE TABLE docs_toast (id int PRIMARY KEY, body text);
INSERT INTO docs_toast SELECT g, (SELECT string_agg(md5(g::text || x), '') FROM generate_series(1, 64) x)
  FROM generate_series(1, ${Math.round(rows / 200)}) g;
ANALYZE;
`

/** utime + stime of a process, in seconds (0 when it is gone). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / TICK
  } catch {
    return 0
  }
}

/** CPU seconds of a server: its postmaster's children that are alive now (backends, walwriter …). */
function serverCpu(postmaster: number): number {
  let sum = cpuOf(postmaster)
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === postmaster) sum += cpuOf(Number(d))
    } catch {
      /* gone */
    }
  }
  return sum
}

async function run(source: Cluster, target: Cluster, queueUrl: string, n: number): Promise<string> {
  const tdb = await target.createDatabase(`scale_w${n}`)
  const task = await createTask({
    name: `bench-scale-${n}`,
    source: source.config('scale'),
    target: target.config(tdb),
    type: 'full',
    objects: { databases: { scale: { as: tdb } } },
    splitTablesLargerThan: SPLIT_MB * 1024 * 1024,
    workers: { queue: queueUrl },
  })
  const workers: ChildProcess[] = []
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    for (let i = 0; i < n; i++) {
      const child = spawnTs('test/harness/worker-child.ts', [queueUrl, '1'])
      workers.push(child)
      await watchLines(child).until((l) => l.startsWith('READY'), 120_000)
    }
    // backends of earlier runs are gone; those of this run are counted while they live, so the
    // servers' figures read before and after miss backends that ended in between: a floor
    const before = {
      me: process.cpuUsage(),
      w: workers.map((w) => cpuOf(w.pid ?? 0)),
      s: serverCpu(source.pid),
      t: serverCpu(target.pid),
    }
    const t0 = performance.now()
    const r = await task.fullLoad()
    const seconds = (performance.now() - t0) / 1000
    const me = process.cpuUsage(before.me)
    const w = workers.map((x, i) => cpuOf(x.pid ?? 0) - (before.w[i] ?? 0))
    return (
      `RESULT name=scale workers=${n} seconds=${fmt(seconds)} rows=${r.rows} rows_per_s=${fmt(r.rows / seconds, 0)}` +
      ` cpu_coordinator_s=${fmt((me.user + me.system) / 1e6)} cpu_workers_s=${w.map((x) => fmt(x)).join('+')}` +
      ` cpu_source_s>=${fmt(serverCpu(source.pid) - before.s)} cpu_target_s>=${fmt(serverCpu(target.pid) - before.t)}` +
      ` load1=${fmt(os.loadavg()[0] ?? NaN)}`
    )
  } finally {
    for (const w of workers) w.kill('SIGTERM')
    await task.close()
  }
}

async function main(): Promise<void> {
  const [source, target] = await Promise.all([
    startCluster({ major: 16 }),
    startCluster({ major: 16 }),
  ])
  try {
    for (const line of await machineHeader({ source, target })) console.log(line)
    await source.query('CREATE DATABASE scale')
    await source.query(SEED(ROWS), [], 'scale')
    const queueUrl = target.url(await target.createDatabase('queue'))
    console.log(`rows=${ROWS} split_mb=${SPLIT_MB}`)
    for (const n of COUNTS) console.log(await run(source, target, queueUrl, n))
  } finally {
    await Promise.all([source.stop(), target.stop()])
  }
}

await main()
