/**
 * The target backend's CPU seconds for REPLICA IDENTITY FULL runs alone (issue 11), without
 * replication: `npx tsx benchmarks/full-match-profile.ts`. One 16 cluster, a table like
 * bench:incremental's `t_full` (id int with a plain index, a int, b text, c timestamptz) of ROWS
 * rows, and the statements the apply sends for FULL runs of RUN rows (ORDER, comma-separated, in
 * that order: `run` full-run-sql.ts's hashed form, `probe` full-probe-sql.ts with the apply's
 * planner settings, `probe-planner` the probes with the planner's own choice of scan), each UPDATE
 * (SET a) and DELETE over the whole table measured in a transaction that is rolled back, then the
 * table vacuumed. ANALYZE: `1` (default) VACUUM ANALYZE, `0` VACUUM only (no statistics), `none`
 * neither (a fresh table, as the apply often meets it). CPU = the backend's utime + stime from
 * /proc before and after. EXPLAIN=1 prints `EXPLAIN (ANALYZE, BUFFERS)` of one run of each.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { startCluster } from '../test/harness/cluster.js'
import { fullRunSql } from '../src/apply/full-run-sql.js'
import { RelationPlan } from '../src/apply/relation-plan.js'
import { readTargetTable } from '../src/apply/target-table.js'
import { fullProbeSql } from './lib/full-probe-sql.js'
import { fullLead, fullTyped, type ChangeRun } from '../src/apply/change-run.js'
import type { RelationMessage } from '../src/wal/pgoutput-messages.js'

const ROWS = Number(process.env.ROWS ?? 200000)
const RUN = Number(process.env.RUN ?? 10000)
const REPS = Number(process.env.REPS ?? 2)
/** Statement forms in the order measured: `run` full-run-sql.ts's hashed form, `probe` full-probe-sql.ts. */
const ORDER = (process.env.ORDER ?? 'run,probe,probe,run').split(',')

const cpuOf = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12])) / 100
}

const cluster = await startCluster({ major: 16, settings: { shared_buffers: '256MB' } })
try {
  const c = await cluster.client()
  await c.query(`CREATE TABLE t_full (id int NOT NULL, a int NOT NULL, b text, c timestamptz);
    CREATE INDEX t_full_id ON t_full (id);
    INSERT INTO t_full SELECT g, 0, md5(g::text), timestamptz '2024-01-01' + g * interval '1 s' FROM generate_series(1, ${ROWS}) g`)
  const vacuum = (): string =>
    process.env.ANALYZE === 'none'
      ? 'SELECT 1'
      : process.env.ANALYZE === '0'
        ? 'VACUUM t_full'
        : 'VACUUM ANALYZE t_full'
  await c.query(vacuum())
  const table = await readTargetTable(c, 'public', 't_full')
  if (table === undefined) throw new Error('no table')
  const relation = {
    type: 'R',
    xid: undefined,
    relationOid: 1,
    schema: 'public',
    name: 't_full',
    replicaIdentity: 'f',
    columns: table.columns.map((x) => ({
      isKey: true,
      name: x.name,
      typeOid: x.typeOid,
      typeMod: x.typeMod,
    })),
  } as unknown as RelationMessage
  const plan = new RelationPlan(relation, 'public', table, 0n)
  const pid = (await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p
  const image = await c.query<{ id: string; a: string; b: string; c: string }>(
    `SELECT id::text, a::text, b, c::text FROM t_full ORDER BY id`,
  )
  const runs: string[][][] = []
  for (let s = 0; s < image.rows.length; s += RUN) {
    const part = image.rows.slice(s, s + RUN)
    runs.push([
      part.map((r) => r.id),
      part.map((r) => r.a),
      part.map((r) => r.b),
      part.map((r) => r.c),
    ])
  }
  const measure = async (what: 'UPDATE' | 'DELETE', variant: string): Promise<number> => {
    const sets = what === 'UPDATE' ? [1] : []
    await c.query('BEGIN')
    await c.query('SET LOCAL enable_nestloop = off')
    // as the apply sends a probing run (run-sender.ts #planner); `probe-planner`: the planner's choice
    if (variant === 'probe')
      await c.query('SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off')
    const t0 = cpuOf(pid)
    for (const cols of runs) {
      const columns =
        what === 'UPDATE' ? [cols[1]!.map((v) => String(Number(v) + 1)), ...cols] : cols
      const run = {
        kind: 'F',
        plan,
        sets,
        shape: `F:${what}`,
        match: [0, 1, 2, 3],
        columns,
        rows: cols[0]!.length,
        bytes: 0,
        seen: undefined,
      } as unknown as ChangeRun
      const st = variant.startsWith('probe')
        ? fullProbeSql(plan, run.shape, run.sets, run.match, 0, fullTyped(run))
        : fullRunSql(plan, run.shape, run.sets, run.match, fullLead(run), fullTyped(run))
      if (process.env.EXPLAIN === '1' && cols === runs[1]) {
        await c.query('SAVEPOINT e')
        const e = await c.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${st.text}`, values: columns })
        console.log(
          e.rows
            .map((x: Record<string, string>) => (x['QUERY PLAN'] ?? '').slice(0, 240))
            .join('\n'),
        )
        await c.query('ROLLBACK TO SAVEPOINT e')
      }
      const r = await c.query({ name: st.name, text: st.text, values: columns })
      if (r.rowCount !== run.rows) throw new Error(`${what}: ${r.rowCount} of ${run.rows}`)
    }
    const t1 = cpuOf(pid)
    await c.query('ROLLBACK')
    // the rolled-back versions would otherwise slow every later measurement
    await c.query(vacuum())
    return t1 - t0
  }
  for (let i = 0; i < REPS; i++) {
    for (const variant of ORDER) {
      for (const what of ['UPDATE', 'DELETE'] as const) {
        const s = await measure(what, variant)
        console.log(
          `RESULT name=full-match variant=${variant} kind=${what} load1=${os.loadavg()[0]?.toFixed(2)} rows=${ROWS} run=${RUN} target_cpu_s=${s.toFixed(2)} per_1m=${((s * 1e6) / ROWS).toFixed(2)}`,
        )
      }
    }
  }
  await c.end()
} finally {
  await cluster.stop()
}
