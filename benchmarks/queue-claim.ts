/**
 * bench:queue-claim — the two PostgreSQL job queues issue 15 names, on one embedded cluster, for
 * the work pgferry gives them: chunk-sized jobs (a JSON payload of about 1 KB, a COPY job's size).
 *
 * - latency: one job at a time is sent while a worker waits; the time from send() to the handler's
 *   start (median and p95 of LAT_JOBS jobs).
 * - throughput: BULK jobs inserted at once, then claimed and completed by CONCURRENCY handlers
 *   that do nothing; jobs per second.
 * Interleaved A B B A (`REPS` pairs, default 2), medians; each on its own fresh database.
 * Prints `RESULT name=queue-claim queue=… lat_ms_p50=… lat_ms_p95=… jobs_per_s=… load1=…`.
 */
import os from 'node:os'
import PgBoss from 'pg-boss'
import { Logger, makeWorkerUtils, run } from 'graphile-worker'
import { startCluster, type Cluster } from '../test/harness/cluster.js'
import { machineHeader } from './lib/machine-header.js'
import { fmt, median, percentile } from './lib/stats.js'

const REPS = Number(process.env.REPS ?? 2)
const LAT_JOBS = Number(process.env.LAT_JOBS ?? 20)
const BULK = Number(process.env.BULK ?? 500)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4)
const quiet = new Logger(() => () => undefined)
const PAYLOAD = { sql: 'x'.repeat(900), table: 'public.t', chunk: { index: 0, count: 1 } }

interface Figures {
  lat: number[]
  jobsPerS: number
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2))
}

async function pgBoss(url: string): Promise<Figures> {
  const boss = new PgBoss({ connectionString: url, max: CONCURRENCY + 2, supervise: false })
  boss.on('error', () => undefined)
  await boss.start()
  await boss.createQueue('lat')
  await boss.createQueue('bulk')
  let got = 0
  let sentAt = 0
  const lat: number[] = []
  // pg-boss 10 polls (no LISTEN/NOTIFY); 0.5 s is its smallest polling interval
  await boss.work('lat', { pollingIntervalSeconds: 0.5, batchSize: 1 }, async () => {
    lat.push(performance.now() - sentAt)
    got++
  })
  for (let i = 0; i < LAT_JOBS; i++) {
    // a random phase against the poll, as a real enqueue has
    await new Promise((r) => setTimeout(r, Math.random() * 500))
    sentAt = performance.now()
    await boss.send('lat', PAYLOAD)
    await waitFor(() => got > i)
  }
  await boss.insert(Array.from({ length: BULK }, () => ({ name: 'bulk', data: PAYLOAD })))
  let done = 0
  const t0 = performance.now()
  for (let i = 0; i < CONCURRENCY; i++) {
    await boss.work('bulk', { pollingIntervalSeconds: 0.5, batchSize: 1 }, async () => {
      done++
    })
  }
  await waitFor(() => done >= BULK)
  const jobsPerS = BULK / ((performance.now() - t0) / 1000)
  await boss.stop({ graceful: false, wait: true })
  return { lat, jobsPerS }
}

async function graphile(url: string): Promise<Figures> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet })
  await utils.migrate()
  let got = 0
  let sentAt = 0
  let done = 0
  const lat: number[] = []
  const runner = await run({
    connectionString: url,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    logger: quiet,
    pollInterval: 500,
    taskList: {
      lat: async () => {
        lat.push(performance.now() - sentAt)
        got++
      },
      bulk: async () => {
        done++
      },
    },
  })
  for (let i = 0; i < LAT_JOBS; i++) {
    await new Promise((r) => setTimeout(r, Math.random() * 500))
    sentAt = performance.now()
    await utils.addJob('lat', PAYLOAD)
    await waitFor(() => got > i)
  }
  await runner.stop()
  await utils.withPgClient((c) =>
    c.query(`SELECT graphile_worker.add_job('bulk', $1::json) FROM generate_series(1, $2)`, [
      JSON.stringify(PAYLOAD),
      BULK,
    ]),
  )
  const t0 = performance.now()
  const bulkRunner = await run({
    connectionString: url,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    logger: quiet,
    pollInterval: 500,
    taskList: {
      bulk: async () => {
        done++
      },
    },
  })
  await waitFor(() => done >= BULK)
  const jobsPerS = BULK / ((performance.now() - t0) / 1000)
  await bulkRunner.stop()
  await utils.release()
  return { lat, jobsPerS }
}

async function main(): Promise<void> {
  const cluster: Cluster = await startCluster({ major: 16 })
  try {
    for (const line of await machineHeader({ queue: cluster })) console.log(line)
    console.log(
      `pg-boss ${(await import('pg-boss/package.json', { with: { type: 'json' } })).default.version}, graphile-worker ${(await import('graphile-worker/package.json', { with: { type: 'json' } })).default.version}`,
    )
    const figures: Record<string, Figures[]> = { 'pg-boss': [], 'graphile-worker': [] }
    const order: ('pg-boss' | 'graphile-worker')[] = []
    for (let i = 0; i < REPS; i++) {
      order.push(
        ...(i % 2 === 0
          ? (['pg-boss', 'graphile-worker'] as const)
          : (['graphile-worker', 'pg-boss'] as const)),
      )
    }
    for (const q of order) {
      const db = await cluster.createDatabase('q')
      const f = q === 'pg-boss' ? await pgBoss(cluster.url(db)) : await graphile(cluster.url(db))
      figures[q]?.push(f)
      console.log(
        `run ${q}: lat_ms_p50=${fmt(median(f.lat), 1)} jobs_per_s=${fmt(f.jobsPerS, 0)} load1=${fmt(os.loadavg()[0] ?? NaN)}`,
      )
    }
    for (const [q, fs] of Object.entries(figures)) {
      const lat = fs.flatMap((f) => f.lat)
      console.log(
        `RESULT name=queue-claim queue=${q} lat_ms_p50=${fmt(median(lat), 1)} lat_ms_p95=${fmt(percentile(lat, 95), 1)} jobs_per_s=${fmt(median(fs.map((f) => f.jobsPerS)), 0)} load1=${fmt(os.loadavg()[0] ?? NaN)}`,
      )
    }
  } finally {
    await cluster.stop()
  }
}

await main()
