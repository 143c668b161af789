/**
 * Custom stages: a one-off `full` copy during a maintenance window, with two stages of the
 * caller's own registered beside the built-ins (they get the same context, are resumed and fail
 * the task the same way):
 *
 * - `app-stopped`, a gate after `precheck`: refuses the run while any client other than pgferry is
 *   connected to the source database (a `full` copy misses what is written after its snapshot);
 * - `row-count-audit`, work after `fullload`: counts every table on both sides and records the
 *   counts in `migration_audit.row_counts` on the target, for the change ticket; a difference fails
 *   the task, and `run()` again runs the audit alone.
 *
 * SOURCE_URL=postgres://migrator:…@old:5432/shop TARGET_URL=postgres://admin:…@new:5432/postgres \
 *   npx tsx examples/custom-stage.ts
 */
import { DEFAULT_APPLICATION_NAME, createTask, type GateResult, type Stage } from '../src/index.js' // in your code: from 'pgferry'

/** A required setting from the environment. */
function env(name: 'SOURCE_URL' | 'TARGET_URL'): string {
  const value = process.env[name]
  if (value) return value
  console.error('set SOURCE_URL (the database to migrate) and TARGET_URL (the target cluster)')
  process.exit(2)
}
const SOURCE_URL = env('SOURCE_URL')
const TARGET_URL = env('TARGET_URL')
const database = decodeURIComponent(new URL(SOURCE_URL).pathname.slice(1))

/** A gate: the task is `prechecking` while it runs, then `ready` or `precheck_failed`. */
const appStopped: Stage<GateResult> = {
  name: 'app-stopped',
  after: 'precheck',
  kind: 'gate',
  async run(ctx) {
    const source = await ctx.connect('source', { database }) // closed when the stage ends
    const r = await source.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
          AND pid <> pg_backend_pid() AND application_name NOT LIKE $1`,
      [`${DEFAULT_APPLICATION_NAME}%`],
    )
    const others = r.rows[0]?.n ?? 0
    if (others > 0) console.log(`app-stopped: ${others} other sessions on ${database}`)
    return { ok: others === 0, items: [{ id: 'app.stopped', status: others ? 'fail' : 'pass' }] }
  },
}

/** Work: runs in the state of the stage before it (`running_full_load`), once. */
const rowCountAudit: Stage<number> = {
  name: 'row-count-audit',
  after: 'fullload',
  async run(ctx) {
    const [source, target] = await Promise.all([
      ctx.connect('source', { database }),
      ctx.connect('target', { database }),
    ])
    const tables = await source.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    )
    await target.query(
      `CREATE SCHEMA IF NOT EXISTS migration_audit;
       CREATE TABLE IF NOT EXISTS migration_audit.row_counts (
         task_id text, table_name text, source_rows bigint, target_rows bigint,
         counted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task_id, table_name))`,
    )
    const differ: string[] = []
    for (const { name } of tables.rows) {
      ctx.signal.throwIfAborted() // a stage stops promptly when the task is aborted or closed
      const count = `SELECT count(*)::bigint AS n FROM ${name}` // name is quoted by format('%I')
      const [s, t] = await Promise.all([source.query(count), target.query(count)])
      const [sn, tn] = [s.rows[0]?.n as string, t.rows[0]?.n as string]
      await target.query(
        `INSERT INTO migration_audit.row_counts (task_id, table_name, source_rows, target_rows)
         VALUES ($1, $2, $3, $4) ON CONFLICT (task_id, table_name) DO UPDATE
         SET source_rows = $3, target_rows = $4, counted_at = now()`,
        [ctx.taskId, name, sn, tn],
      )
      if (sn !== tn) differ.push(`${name}: source ${sn}, target ${tn}`)
    }
    if (differ.length > 0) throw new Error(`row counts differ: ${differ.join('; ')}`)
    return tables.rows.length
  },
}

const task = await createTask({
  name: `maintenance-window copy of ${database}`,
  source: SOURCE_URL,
  target: TARGET_URL,
  type: 'full',
  objects: { databases: { [database]: true } },
  stages: [appStopped, rowCountAudit],
})
task.on('stage:done', (e) => console.log(`stage ${e.stage} done in ${e.durationMs} ms`))
task.on('precheck:item', (e) => {
  if (e.status === 'fail') console.log(`precheck ${e.id} failed; fix: ${e.fix ?? '(none)'}`)
})
try {
  const { state, results } = await task.run()
  console.log(`task ${task.id} ${state}; ${String(results['row-count-audit'])} tables audited`)
} catch (error) {
  // PGFERRY_TASK_PRECHECK_FAILED names a failed gate's items; PGFERRY_STAGE_FAILED a failed stage
  console.error(error)
  process.exitCode = 1
} finally {
  await task.close()
}
