/**
 * Precheck wall time on a 1,000-table database (issue 3: under 5 s). Builds on embedded clusters
 * (16 → 16): 1,000 tables with a primary key, a serial sequence and an index each, 100 views, 100
 * plpgsql functions and 100 foreign keys, a selection of the whole database, `full+incremental` (so
 * every item runs its queries). Times the first run (fresh task, fresh connections) and then
 * `RUNS` more, and prints the median (`wall_s`) and the first (`first_s`).
 *
 *   npm run bench:precheck
 */
import { createTask } from '../src/index.js'
import { startPair } from '../test/harness/cluster.js'

const TABLES = Number(process.env.TABLES ?? 1000)
const RUNS = 5

const pair = await startPair(16, 16)
try {
  const db = await pair.source.createDatabase('bench')
  const ddl: string[] = ['CREATE SCHEMA app;']
  for (let i = 0; i < TABLES; i++) {
    ddl.push(
      `CREATE TABLE app.t${i} (id serial PRIMARY KEY, ref int, v text${i % 10 === 0 && i > 0 ? `, parent int REFERENCES app.t${i - 10}` : ''});`,
      `CREATE INDEX t${i}_v ON app.t${i} (v);`,
    )
    if (i % 10 === 0) {
      ddl.push(`CREATE VIEW app.v${i} AS SELECT id, v FROM app.t${i};`)
      ddl.push(
        `CREATE FUNCTION app.f${i}() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM app.t${i}); END $$;`,
      )
    }
  }
  const client = await pair.source.client(db)
  for (let i = 0; i < ddl.length; i += 500) await client.query(ddl.slice(i, i + 500).join('\n'))
  await client.query('ANALYZE')
  await client.end()

  const task = await createTask({
    name: 'bench',
    store: 'memory',
    source: pair.source.url(db),
    target: pair.target.url(),
    type: 'full+incremental',
  })
  const times: number[] = []
  const c0 = performance.now()
  let report = await task.precheck()
  const cold = (performance.now() - c0) / 1000
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    report = await task.precheck()
    times.push((performance.now() - t0) / 1000)
  }
  await task.close()
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)] ?? NaN
  const notPass = report.items.filter((i) => i.status !== 'pass').map((i) => `${i.id}:${i.status}`)
  console.log(`items not passing: ${notPass.join(', ') || 'none'}`)
  console.log(`runs (s): ${times.map((t) => t.toFixed(3)).join(' ')}`)
  console.log(
    `RESULT name=precheck tables=${TABLES} wall_s=${median.toFixed(3)} min_s=${(times[0] ?? NaN).toFixed(3)} first_s=${cold.toFixed(3)} runs=${RUNS}`,
  )
} finally {
  await pair.stop()
}
