/**
 * bench:bulk-memory — pgferry's memory and CPU seconds on bench:incremental's bulk steps, pgferry
 * alone (no native side): the reproduction for issue 11's "Node RSS < 200 MB in every case".
 *
 * One pair of clusters (PAIR, default 16:16), the `ferry` database of bench:incremental with its
 * tables, pgferry in its own process (lib/ferry-child.ts). For each table of TABLES (`pk,full`):
 * REPS chains of INSERT, UPDATE, UPDATE of the key, DELETE of ROWS rows in one source transaction
 * each (bulk-cases.ts's steps), then TRUNCATE. Per step one line:
 * `RESULT name=bulk-memory case=bulk_<kind>_<table> seconds=… cpu_s=… rss_mb=… heap_mb=… …`.
 *
 * RSS and the V8 breakdown do not depend on the machine's load, so this may run on a shared
 * machine; `seconds` does, and is no claim. `cpu_s` (user + system of pgferry's process over the
 * step) depends on it much less: it is the figure to compare two revisions' apply cost by.
 * FERRY_NODE_ARGS passes Node flags to pgferry's process (e.g. `--trace-gc`).
 */
import { startPair } from '../test/harness/cluster.js'
import { FerryChild } from './lib/ferry-child.js'
import { machineHeader } from './lib/machine-header.js'
import { peakFields, spaceFields } from './lib/memory-peak.js'
import { fmt } from './lib/stats.js'
import { waitFor } from './lib/wait-for.js'
import { BULK_SERVER_SETTINGS, load1 } from './incremental/bench-context.js'
import { createSourceDb } from './incremental/bench-schema.js'
import { BULK_KINDS, BULK_TABLES, bulkCaseName, steps, timeStep } from './incremental/bulk-cases.js'

const [srcMajor, tgtMajor] = (process.env.PAIR ?? '16:16').split(':').map(Number) as [
  number,
  number,
]
const ROWS = Number(process.env.ROWS ?? 1_000_000)
const REPS = Number(process.env.REPS ?? 1)
const TABLES = (process.env.TABLES ?? 'pk,full').split(',') as (keyof typeof BULK_TABLES)[]
const TIMEOUT_S = Number(process.env.BULK_TIMEOUT_S ?? 600)

const pair = await startPair(srcMajor as 16, tgtMajor as 16, BULK_SERVER_SETTINGS)
let code = 0
try {
  for (const line of await machineHeader({ source: pair.source, target: pair.target }))
    console.log(line)
  console.log(`settings: pair=${srcMajor}:${tgtMajor} rows=${ROWS} reps=${REPS} tables=${TABLES}`)
  await createSourceDb(pair.source, 'ferry', undefined)
  const ferry = await FerryChild.start(pair.source, pair.target, 'ferry')
  ferry.onFailure = (error) => {
    console.error(`pgferry incremental sync failed: ${error}`)
    code = 1
  }
  const src = await pair.source.client('ferry')
  const tgt = await pair.target.client('ferry')
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const table of TABLES) {
        const name = BULK_TABLES[table]
        const s = steps(name, ROWS)
        for (const kind of BULK_KINDS) {
          ferry.takePeak()
          ferry.takeCpuS()
          const start = load1()
          const r = await ferry.during(() =>
            timeStep(src, tgt, s[kind], ROWS, TIMEOUT_S, () => undefined),
          )
          const peak = ferry.takePeak()
          const timedOut = r.timedOutRows === undefined ? '' : ` timed_out_rows=${r.timedOutRows}`
          console.log(
            `RESULT name=bulk-memory case=${bulkCaseName(kind, table)} rep=${rep + 1} rows=${ROWS} seconds=${fmt(r.seconds)}${timedOut} cpu_s=${fmt(ferry.takeCpuS())} load1_start=${start} load1=${load1()} ${peakFields(peak)} ${spaceFields(peak)}`,
          )
          if (r.timedOutRows !== undefined) throw new Error(`${kind} on ${name} timed out`)
        }
        await src.query(`TRUNCATE ${name}`)
        await waitFor(tgt, `SELECT NOT EXISTS (SELECT 1 FROM ${name})`, [], { intervalMs: 50 })
        await tgt.query(`VACUUM ANALYZE ${name}`)
        await src.query(`ANALYZE ${name}`)
      }
    }
  } finally {
    await src.end()
    await tgt.end()
    await ferry.close()
  }
} catch (error) {
  console.error(error)
  code = 1
} finally {
  await pair.stop()
}
process.exit(code)
