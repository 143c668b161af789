/**
 * Ctrl-C exits 130 in every stage (issue 14): the full load and the sync are covered by
 * cli-pty.test.ts; here the structure stage and `complete`, each held in the middle by a lock the
 * test holds (not raced), then interrupted in a pseudo-terminal, then continued to a target equal to
 * the source by SQL.
 * - structure: the stage creates the target database, and `CREATE DATABASE` takes a ROW EXCLUSIVE
 *   lock on pg_database, which waits while the test holds it in EXCLUSIVE mode (plain reads of
 *   pg_database still run).
 * - complete: a source row the drain must apply, with the target table locked, keeps `complete`
 *   waiting for its drain.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { waitForLockedBackend } from '../harness/held-backend.js'
import { INCREMENTAL_SCHEMA, digests } from '../harness/incremental-fixture.js'
import { PtyCli, ptyRun } from '../harness/pty-cli.js'

/** Generous bounds for a run on a loaded 2-core machine. */
const LONG = 180_000

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** A new source database with the incremental schema, and the CLI's connection flags for it. */
async function sourceDb(name: string): Promise<{ db: string; conn: string[] }> {
  const db = await pair.source.createDatabase(name)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  return { db, conn: ['--source', pair.source.url(db), '--target', pair.target.url()] }
}

const runArgs = (conn: string[], db: string): string[] => [
  'run',
  ...conn,
  '--type',
  'full+incremental',
  '--database',
  db,
  '--skip',
  'source.open-transactions',
]

/** The task id `run` prints first. */
async function taskIdOf(run: PtyCli): Promise<string> {
  const m = await run.waitFor(/task ([0-9a-f-]{36}) \(/, LONG)
  return m[1] ?? ''
}

/** Ctrl-C `cli`: it exits 130 and offers `next` for the task, as a real command. */
async function interruptAndExpect(cli: PtyCli, id: string, next: RegExp): Promise<void> {
  cli.interrupt()
  const exit = await cli.exited
  expect(exit.exitCode, cli.output).toBe(130)
  const after = cli.output.slice(cli.output.indexOf('interrupted:'))
  expect(after).toContain(`task ${id} is`)
  expect(after).toMatch(next)
}

describe('Ctrl-C in the structure stage and in complete (16 → 16)', () => {
  it(
    'Ctrl-C while the structure stage waits in CREATE DATABASE exits 130; resume finishes equal',
    async () => {
      const { db, conn } = await sourceDb('pty_schema')
      const hold: pg.Client = await pair.target.client()
      const watch: pg.Client = await pair.target.client()
      await hold.query('BEGIN')
      await hold.query('LOCK TABLE pg_database IN EXCLUSIVE MODE')
      let held = true
      const run = new PtyCli(runArgs(conn, db))
      try {
        const id = await taskIdOf(run)
        await run.waitFor(/stage schema: started/, LONG)
        await waitForLockedBackend(watch, 'postgres', 'CREATE DATABASE%', LONG)
        await interruptAndExpect(run, id, new RegExp(`pgferry resume ${id} --target postgres://`))
        await hold.query('ROLLBACK')
        held = false
        const resumed = await ptyRun(['resume', id, ...conn, '--complete-after-sync'])
        expect(resumed.exitCode, resumed.output).toBe(0)
        expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      } finally {
        if (held) await hold.query('ROLLBACK')
        await Promise.all([hold.end(), watch.end()])
        run.kill('SIGKILL')
        await run.exited
      }
    },
    3 * LONG,
  )

  it(
    'Ctrl-C while complete waits for its drain exits 130; complete again finishes equal',
    async () => {
      const { db, conn } = await sourceDb('pty_complete')
      const run = new PtyCli(runArgs(conn, db))
      const id = await taskIdOf(run)
      try {
        await run.waitFor(/stage incremental: started/, 2 * LONG)
      } finally {
        run.interrupt()
        await run.exited
      }
      const hold: pg.Client = await pair.target.client(db)
      const watch: pg.Client = await pair.target.client(db)
      let held = false
      const complete = new PtyCli(['complete', id, ...conn])
      try {
        await hold.query('BEGIN')
        await hold.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE')
        held = true
        await pair.source.query(
          `INSERT INTO items (id, name) VALUES (100002, 'during complete')`,
          [],
          db,
        )
        await complete.waitFor(/stage complete: started/, LONG)
        // the drain's apply of the new row waits on the held table
        await waitForLockedBackend(watch, db, '%items%', LONG)
        await interruptAndExpect(complete, id, new RegExp(`pgferry complete ${id}`))
        await hold.query('ROLLBACK')
        held = false
        // nothing was cut over: the source still takes writes, and complete runs again
        const again = await ptyRun(['complete', id, ...conn])
        expect(again.exitCode, again.output).toBe(0)
        expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
        const rows = await pair.target.query(`SELECT name FROM items WHERE id = 100002`, [], db)
        expect(rows.rows).toEqual([{ name: 'during complete' }])
      } finally {
        if (held) await hold.query('ROLLBACK')
        await Promise.all([hold.end(), watch.end()])
        complete.kill('SIGKILL')
        await complete.exited
      }
    },
    4 * LONG,
  )
})
