/**
 * Operating a running task from another terminal (issue 14), against real servers: `status` while
 * the full load copies a table (its rows and bytes) and while the sync runs (lag, WAL retained by
 * the slot), as text and as `--json` with the same fields; `pgferry pause ID` stops the process
 * that runs the task as Ctrl-C would — in the full load and in the sync — which exits 3 with the
 * real commands; the stop is kept as a `task:paused` event, never as an error; `pause` of a task
 * no process runs is refused and changes nothing; `resume` and `complete` then finish with the
 * target equal to the source by SQL. Every command's stderr is free of driver warnings.
 *
 * The load is kept copying by a condition the test sets, not by racing it: the task's throttle
 * caps the copy at 16 KiB/s, so the table's 1.2 MB of COPY data take more than a minute however
 * fast the machine is (a pause on a machine at load 20 took half a minute to land), and the table
 * is split into chunks that commit one after another.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { cli, type CliResult } from '../harness/cli.js'
import { INCREMENTAL_SCHEMA, digests, eventually } from '../harness/incremental-fixture.js'
import { PtyCli } from '../harness/pty-cli.js'

/** Generous bounds for a run on a loaded 2-core machine. */
const LONG = 180_000
/** What the driver (pg) or Node prints on stderr for a deprecated use. */
const DRIVER_WARNING = /DeprecationWarning|\(node:\d+\)|SECURITY WARNING/

let pair: ClusterPair
const dir = mkdtempSync(path.join(tmpdir(), 'pgferry-cli-pause-'))
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** Run the CLI; its stderr must carry no driver warning. */
async function run(args: string[]): Promise<CliResult> {
  const r = await cli(args)
  expect(r.stderr).not.toMatch(DRIVER_WARNING)
  return r
}

interface StatusJson {
  state: string
  runState: string
  tables: { table: string; state: string; rows: number; bytes: number }[]
  errors: unknown[]
  runner: {
    live: {
      lag?: Record<string, { bytes: number; seconds: number }>
      retained?: Record<string, { bytes: number }>
    } | null
  } | null
}

describe('pgferry pause and status of a running task (16 → 16)', () => {
  it(
    'status shows the table being copied, with its rows and bytes, as text and as JSON',
    async () => {
      const db = await pair.source.createDatabase('pause_load')
      await pair.source.query(
        `CREATE TABLE big (id int PRIMARY KEY, pad text NOT NULL);
         INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 30000) g;
         ANALYZE big`,
        [],
        db,
      )
      const config = path.join(dir, 'split.json')
      writeFileSync(config, JSON.stringify({ splitTablesLargerThan: 256 * 1024 }))
      const target = ['--target', pair.target.url()]
      const conn = ['--source', pair.source.url(db), ...target]
      const loading = new PtyCli([
        'run',
        ...conn,
        '--type',
        'full+incremental',
        '--config',
        config,
        '--throttle',
        '48k',
      ])
      try {
        const id = (await loading.waitFor(/task ([0-9a-f-]{36}) \(/, LONG))[1] ?? ''
        await loading.waitFor(/stage fullload: started/, LONG)

        // status while the table is copied: some chunks committed, the rest in flight
        let status: StatusJson | undefined
        await eventually(async () => {
          const r = await run(['status', id, ...target, '--json'])
          status = JSON.parse(r.stdout) as StatusJson
          const big = status.tables.find((t) => t.table === 'public.big')
          return big?.state === 'copying' && big.rows > 0
        }, LONG)
        const big = status?.tables.find((t) => t.table === 'public.big')
        expect(big?.bytes).toBeGreaterThan(0)
        expect(big?.rows).toBeLessThan(30000)
        const text = await run(['status', id, ...target])
        expect(text.stdout).toMatch(
          /table +public\.big: (copying, .+ sent, [1-9]\d* rows committed|done)/,
        )
      } finally {
        loading.kill('SIGKILL')
        await loading.exited
      }
    },
    3 * LONG,
  )

  it(
    'pause stops the load (exit 3, resume offered, not complete), kept as task:paused; pause of a stopped task is refused; status shows the sync; pause stops the sync; complete: equal',
    async () => {
      const db = await pair.source.createDatabase('pause_held')
      await pair.source.query(INCREMENTAL_SCHEMA, [], db)
      const target = ['--target', pair.target.url()]
      const conn = ['--source', pair.source.url(db), ...target]
      // the load held in its stage: a source transaction with an xid makes the slot wait for it
      const holder = await pair.source.client(db)
      await holder.query('BEGIN')
      await holder.query('SELECT txid_current()')
      let held = true
      const release = async (): Promise<void> => {
        if (!held) return
        held = false
        await holder.query('ROLLBACK')
        await holder.end()
      }
      const loading = new PtyCli([
        'run',
        ...conn,
        '--type',
        'full+incremental',
        '--skip',
        'source.open-transactions',
      ])
      let syncing: PtyCli | undefined
      try {
        const id = (await loading.waitFor(/task ([0-9a-f-]{36}) \(/, LONG))[1] ?? ''
        await loading.waitFor(/stage fullload: started/, LONG)
        // pause from here: the run stops as on Ctrl-C, with its own exit code
        const paused = await run(['pause', id.slice(0, 8), ...target])
        expect(paused.code, paused.stdout + paused.stderr).toBe(0)
        expect(paused.stdout).toMatch(
          new RegExp(`task ${id} paused: pid ${loading.pid} on host \\S+ stopped; state paused`),
        )
        expect((await loading.exited).exitCode, loading.output).toBe(3)
        expect(loading.output).not.toMatch(DRIVER_WARNING)
        const after = loading.output.slice(loading.output.indexOf('paused: pgferry pause from'))
        expect(after).toContain(`pgferry resume ${id} --target postgres://`)
        expect(after).not.toMatch(/complete/)

        const stopped = await run(['status', id, ...target])
        expect(stopped.stdout).toMatch(/runner +stopped \(no process runs it now\)/)
        expect(stopped.stdout).toMatch(/state +paused/)
        expect(stopped.stdout).not.toMatch(/^error /m)
        const stoppedJson = JSON.parse((await run(['status', id, ...target, '--json'])).stdout)
        expect(stoppedJson).toMatchObject({ state: 'paused', runState: 'stopped', errors: [] })
        const events = (await run(['events', id, ...target, '--json'])).stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; stage?: string; reason?: string })
        expect(events.filter((e) => e.type === 'error')).toEqual([])
        expect(events).toContainEqual(
          expect.objectContaining({
            type: 'task:paused',
            stage: 'fullload',
            reason: expect.stringMatching(/pgferry pause/) as unknown,
          }),
        )

        // nobody runs it now: refused, and nothing changes
        const stored = async (): Promise<unknown[]> =>
          (
            await pair.target.query(
              `SELECT state, stage, error, updated_at FROM pgferry.task WHERE id = $1
               UNION ALL SELECT kind, key, value::text, updated_at FROM pgferry.progress
                WHERE task_id = $1 AND kind = 'pause-request'`,
              [id],
            )
          ).rows
        const before = await stored()
        expect(before).toHaveLength(1)
        const again = await run(['pause', id, ...target])
        expect(again.code).toBe(1)
        expect(again.stderr).toContain('PGFERRY_TASK_NOT_RUNNING')
        expect(again.stderr).toContain(`fix: nothing to pause; pgferry status ${id}`)
        expect(await stored()).toEqual(before)

        // resume syncs; status shows lag and the WAL the slot retains; pause stops the sync
        await release()
        syncing = new PtyCli(['resume', id, ...target])
        await syncing.waitFor(/incremental sync running/, 2 * LONG)
        await pair.source.query(
          `INSERT INTO items (id, name) VALUES (100001, 'after the pause')`,
          [],
          db,
        )
        let live: NonNullable<NonNullable<StatusJson['runner']>['live']> = {}
        await eventually(async () => {
          const r = await run(['status', id, ...target, '--json'])
          live = (JSON.parse(r.stdout) as StatusJson).runner?.live ?? {}
          return live.lag?.[db] !== undefined && live.retained?.[db] !== undefined
        }, LONG)
        expect(live.retained?.[db]?.bytes).toBeGreaterThanOrEqual(0)
        expect(live.lag?.[db]?.seconds).toBeGreaterThanOrEqual(0)
        const syncText = await run(['status', id, ...target])
        expect(syncText.stdout).toMatch(new RegExp(`lag +${db}: .* behind`))
        expect(syncText.stdout).toMatch(
          new RegExp(`retained +${db}: the slot holds .* of WAL on the source`),
        )
        expect((await run(['pause', id, ...target])).code).toBe(0)
        expect((await syncing.exited).exitCode, syncing.output).toBe(3)
        expect(syncing.output).toContain(`pgferry complete ${id} --target postgres://`)
        expect(syncing.output).not.toMatch(DRIVER_WARNING)

        const done = await run(['complete', id, ...target])
        expect(done.code, done.stdout + done.stderr).toBe(0)
        expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
        const late = await pair.target.query(`SELECT name FROM items WHERE id = 100001`, [], db)
        expect(late.rows).toEqual([{ name: 'after the pause' }])
      } finally {
        await release()
        loading.kill('SIGKILL')
        syncing?.kill('SIGKILL')
        await loading.exited
        await syncing?.exited
      }
    },
    5 * LONG,
  )
})
