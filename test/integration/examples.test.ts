/**
 * The examples in examples/ cannot rot: each runs here as a user would run it (a child process,
 * connection URLs from the environment) against the harness's clusters, and the target is checked
 * by SQL, never by the example's own report (issue 14).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { runTs, spawnTs, watchLines } from '../harness/child.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  eventually,
  leftovers,
  writeStep,
} from '../harness/incremental-fixture.js'
import { terminateBackend, waitForLockedBackend } from '../harness/held-backend.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 17)
})
afterAll(async () => {
  await pair?.stop()
})

/** A source database with the incremental fixture's tables and rows. */
async function sourceDb(prefix: string): Promise<string> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  return db
}

/** An example's environment: the source database to migrate, the target cluster's store db. */
const envFor = (db: string): NodeJS.ProcessEnv => ({
  SOURCE_URL: pair.source.url(db),
  TARGET_URL: pair.target.url('postgres'),
})

/** Resolves with the exit code (or signal) of a child; a bound, not a timed assertion. */
function exitOf(child: ChildProcess, ms: number): Promise<number | string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? (child.signalCode as string))
      return
    }
    const timer = setTimeout(() => reject(new Error(`child still running after ${ms} ms`)), ms)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve(code ?? (signal as string))
    })
  })
}

/** Row counts of every user table of `db`, by SQL. */
async function rowCounts(db: string): Promise<Record<string, string>> {
  const tables = await pair.source.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    [],
    db,
  )
  const out: Record<string, string> = {}
  for (const { name } of tables.rows) {
    const r = await pair.source.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${name}`,
      [],
      db,
    )
    out[name] = r.rows[0]?.n ?? '?'
  }
  return out
}

describe('examples/', () => {
  it('embedded-service: events to JSON logs and Prometheus metrics, cutover over HTTP', async () => {
    const db = await sourceDb('service')
    const child = spawnTs('examples/embedded-service/main.ts', [], { ...envFor(db), PORT: '0' })
    const out = watchLines(child)
    try {
      const listening = await out.until((l) => l.includes('"msg":"listening"'), 60_000)
      const { port } = JSON.parse(listening) as { port: number }
      const base = `http://127.0.0.1:${port}`
      await out.until((l) => l.includes('"msg":"sync running'), 300_000)
      // every log line is one JSON object
      for (const line of out.lines.filter((l) => l.startsWith('{')))
        expect(() => JSON.parse(line)).not.toThrow()

      const writer = await pair.source.client(db)
      try {
        for (let i = 1; i <= 20; i++) await writeStep(writer, i)
      } finally {
        await writer.end()
      }
      await eventually(
        async () =>
          (await pair.target.query(`SELECT 1 FROM items WHERE name = 'new 20'`, [], db))
            .rowCount === 1,
        120_000,
      )
      // the apply:batch event follows the target's COMMIT: wait for the counter, do not race it
      const scrape = async (): Promise<string> => (await fetch(`${base}/metrics`)).text()
      const appliedRows = (text: string): number =>
        Number(text.match(/^pgferry_applied_rows_total\{database="[^"]+"\} (\d+)$/m)?.[1] ?? 0)
      await eventually(async () => appliedRows(await scrape()) > 0, 60_000)
      const metrics = await scrape()
      expect(metrics).toContain('# TYPE pgferry_applied_rows_total counter')
      expect(metrics).toMatch(/^pgferry_task_state\{state="incremental_sync"\} 1$/m)
      // the full load copied the fixture's 2,000 items: the counter agrees with the source's SQL
      expect(metrics).toMatch(/^pgferry_copied_rows_total\{table="public\.items"\} 2000$/m)
      expect(await (await fetch(`${base}/healthz`)).text()).toBe('incremental_sync')

      const cutover = await fetch(`${base}/cutover`, { method: 'POST' })
      expect(cutover.status).toBe(202)
      expect(await exitOf(child, 300_000)).toBe(0)
      expect(out.lines.some((l) => l.includes('"msg":"migration completed"'))).toBe(true)
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      child.kill('SIGKILL')
    }
  }, 600_000)

  it('custom-stage: a gate refuses while the application is connected; the audit stage records equal counts', async () => {
    const db = await sourceDb('custom')
    // the gate's condition, created: a session of the application on the source database
    const app = await pair.source.client(db)
    await app.query(`SET application_name = 'shop-app'`)
    const refused = await runTs('examples/custom-stage.ts', [], envFor(db)).catch((e: unknown) => e)
    expect(String(refused)).toContain('PGFERRY_TASK_PRECHECK_FAILED')
    expect(String(refused)).toContain('app.stopped')
    expect(
      (await pair.target.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount,
    ).toBe(0)
    await app.end()
    await eventually(
      async () =>
        (
          await pair.source.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'shop-app'`,
            [db],
          )
        ).rowCount === 0,
      60_000,
    )

    const out = await runTs('examples/custom-stage.ts', [], envFor(db))
    const counts = await rowCounts(db)
    expect(out).toContain(`completed; ${Object.keys(counts).length} tables audited`)
    expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
    const audit = await pair.target.query<{ t: string; s: string; n: string }>(
      `SELECT table_name AS t, source_rows::text AS s, target_rows::text AS n
         FROM migration_audit.row_counts ORDER BY 1`,
      [],
      db,
    )
    expect(Object.fromEntries(audit.rows.map((r) => [r.t, r.s]))).toEqual(counts)
    expect(Object.fromEntries(audit.rows.map((r) => [r.t, r.n]))).toEqual(counts)
  }, 600_000)

  it('resumable-job: SIGKILLed mid-load, started again, it resumes the same task and completes equal', async () => {
    const db = await sourceDb('job')
    // The condition, created: the target database exists beforehand, and when the job creates
    // `items` there an event trigger gives it a row trigger that waits on an advisory lock this
    // test holds, so the job's COPY into it stays in place until the kill, however slow the machine.
    const HOLD = 4_242_014
    await pair.target.query(`CREATE DATABASE "${db}"`)
    await pair.target.query(
      `CREATE FUNCTION public.hold_row() RETURNS trigger LANGUAGE plpgsql AS
         $$BEGIN PERFORM pg_advisory_xact_lock_shared(${HOLD}); RETURN NEW; END$$;
       CREATE FUNCTION public.hold_items() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN
         IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'public.items') THEN
           CREATE TRIGGER hold BEFORE INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.hold_row();
           ALTER TABLE public.items ENABLE ALWAYS TRIGGER hold;
         END IF; END$$;
       CREATE EVENT TRIGGER hold_items ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
         EXECUTE FUNCTION public.hold_items();
       ALTER EVENT TRIGGER hold_items ENABLE ALWAYS;`,
      [],
      db,
    )
    const holder = await pair.target.client(db)
    await holder.query(`SELECT pg_advisory_lock(${HOLD})`)
    const env = envFor(db)
    const first = spawnTs('examples/resumable-job.ts', ['--complete'], env)
    const firstOut = watchLines(first)
    try {
      const created = await firstOut.until((l) => l.startsWith('created task '), 120_000)
      const id = created.slice('created task '.length)
      const copying = await waitForLockedBackend(holder, db, '%COPY%', 300_000)
      first.kill('SIGKILL')
      expect(await exitOf(first, 60_000)).toBe('SIGKILL')
      // the kill landed mid-load: items is empty on the target, the task is still loading
      await terminateBackend(holder, copying)
      expect((await pair.target.query('SELECT 1 FROM items', [], db)).rowCount).toBe(0)
      const stored = await pair.target.query<{ state: string }>(
        'SELECT state FROM pgferry.task WHERE id = $1',
        [id],
      )
      expect(stored.rows[0]?.state).toBe('running_full_load')
      await holder.query(`DROP EVENT TRIGGER hold_items; SELECT pg_advisory_unlock(${HOLD})`)

      // the application writes while the job is down; the changes wait in the slot
      const writer = await pair.source.client(db)
      try {
        for (let i = 1; i <= 10; i++) await writeStep(writer, i)
      } finally {
        await writer.end()
      }

      const second = spawnTs('examples/resumable-job.ts', ['--complete'], env)
      const secondOut = watchLines(second)
      try {
        expect(await exitOf(second, 400_000), secondOut.stderr()).toBe(0)
      } finally {
        second.kill('SIGKILL')
      }
      expect(secondOut.lines[0]).toBe(`resuming task ${id} (running_full_load, stage fullload)`)
      expect(secondOut.lines).toContain(`task ${id} completed`)
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      first.kill('SIGKILL')
      await holder.end()
    }
  }, 900_000)
})
