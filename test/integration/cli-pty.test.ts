/**
 * The CLI as a person drives it, in a pseudo-terminal (issue 14): a failing precheck's exit code
 * and fix; the live progress bar moving within one large chunk, then the post-data phase; `status`
 * while a run holds the task, a second runner refused, Ctrl-C (exit 130) and a resume that finishes
 * with the target equal to the source by SQL; `status` after a SIGKILL shows the task stopped.
 *
 * The runs that must be caught in the middle of the full load are held there by a condition the
 * test makes, not raced: a source transaction with an xid, kept open, makes the load's logical slot
 * wait for it (CREATE_REPLICATION_SLOT waits for running transactions), so the run sits in stage
 * fullload until the test ends that transaction.
 */
import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { INCREMENTAL_SCHEMA, digests } from '../harness/incremental-fixture.js'
import { passPrecheck } from '../harness/pass-precheck.js'
import { PtyCli, ptyRun } from '../harness/pty-cli.js'
import { requirePassword } from '../harness/require-password.js'

/** Generous bounds for a run on a loaded 2-core machine. */
const LONG = 180_000

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** The source database held: a transaction with an xid, open until `release`. */
async function holdSlotCreation(db: string): Promise<{ release: () => Promise<void> }> {
  const c: pg.Client = await pair.source.client(db)
  await c.query('BEGIN')
  await c.query('SELECT txid_current()')
  return {
    release: async () => {
      await c.query('ROLLBACK')
      await c.end()
    },
  }
}

/**
 * A full+incremental `run` in a terminal on a new database `name` holding the incremental schema,
 * its slot creation held (so the run stays in the full load) until `held.release()`.
 */
async function startHeldRun(name: string): Promise<{
  db: string
  conn: string[]
  held: { release: () => Promise<void> }
  run: PtyCli
}> {
  const db = await pair.source.createDatabase(name)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  const conn = ['--source', pair.source.url(db), '--target', pair.target.url()]
  const held = await holdSlotCreation(db)
  const run = new PtyCli([
    'run',
    ...conn,
    '--type',
    'full+incremental',
    '--database',
    db,
    '--skip',
    'source.open-transactions',
  ])
  return { db, conn, held, run }
}

/** The task id `run` prints first. */
async function taskIdOf(run: PtyCli): Promise<string> {
  const m = await run.waitFor(/task ([0-9a-f-]{36}) \(/, LONG)
  return m[1] ?? ''
}

describe('pgferry CLI in a terminal (16 → 16)', () => {
  it(
    'a failing precheck exits 1 and prints each failing item with its fix',
    async () => {
      const db = await pair.source.createDatabase('pty_pre')
      await pair.source.query(`CREATE TABLE keyless (v int)`, [], db)
      const r = await ptyRun([
        'run',
        '--source',
        pair.source.url(db),
        '--target',
        pair.target.url(),
        '--type',
        'full+incremental',
        '--database',
        db,
      ])
      expect(r.exitCode, r.output).toBe(1)
      expect(r.output).toMatch(/FAIL source\.replica-identity: no primary key .*public\.keyless/)
      expect(r.output).toMatch(/fix: .*ALTER TABLE .*keyless.* REPLICA IDENTITY FULL/)
      // nothing was started: no slot on the source
      const slots = await pair.source.query(`SELECT 1 FROM pg_replication_slots`)
      expect(slots.rowCount).toBe(0)
    },
    LONG,
  )

  it(
    'the bar moves within one large chunk, then shows the indexes being built',
    async () => {
      const db = await pair.source.createDatabase('pty_bar')
      // one table, copied as one chunk (below the 256 MiB split floor): ~40 MiB of COPY text, so
      // the chunk reports its bytes in flight several times (every 4 MiB)
      await pair.source.query(
        `CREATE TABLE big (id int PRIMARY KEY, pad text NOT NULL);
       INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 200000) g;
       ANALYZE big`,
        [],
        db,
      )
      const r = await ptyRun([
        'run',
        '--source',
        pair.source.url(db),
        '--target',
        pair.target.url(),
        '--type',
        'full',
        '--database',
        `${db}:${db}_t`,
        '--parallelism',
        '1',
      ])
      expect(r.exitCode, r.output).toBe(0)
      // every redraw of the live line while the table's one chunk was in flight (0 of 1 tables)
      const inFlight = [...r.output.matchAll(/\] +(\d+)% +tables 0\/1,/g)].map((m) => Number(m[1]))
      const distinct = [...new Set(inFlight)]
      expect(distinct.length, r.output).toBeGreaterThanOrEqual(2)
      expect(distinct).toEqual([...distinct].sort((a, b) => a - b))
      expect(distinct.every((p) => p > 0 && p < 100)).toBe(true)
      expect(r.output).toMatch(/data copied \(1 tables\); building indexes 0\/\d+/)
      expect(r.output).not.toMatch(/building indexes.*ETA/)
      const digest = `SELECT count(*)::int AS n, md5(string_agg(id || ':' || pad, ',' ORDER BY id)) AS h FROM big`
      const [source, target] = await Promise.all([
        pair.source.query(digest, [], db),
        pair.target.query(digest, [], `${db}_t`),
      ])
      expect(target.rows).toEqual(source.rows)
      expect(target.rows[0]).toMatchObject({ n: 200000 })
    },
    LONG,
  )

  it(
    'status while a run holds the task, a second runner refused, Ctrl-C exits 130, resume finishes',
    async () => {
      const { db, conn, held, run } = await startHeldRun('pty_int')
      let released = false
      try {
        const id = await taskIdOf(run)
        await run.waitFor(/stage fullload: started/, LONG)

        const status = await ptyRun(['status', id, '--target', pair.target.url()])
        expect(status.exitCode, status.output).toBe(0)
        expect(status.output).toMatch(new RegExp(`runner +running: pid ${run.pid} on host `))
        expect(status.output).toMatch(/stage +fullload/)
        expect(status.output).toMatch(/table +public\.items: (waiting|copying)/)

        const second = await ptyRun(['resume', id, ...conn])
        expect(second.exitCode, second.output).toBe(1)
        expect(second.output).toContain('PGFERRY_TASK_LEASED')
        expect(second.output).toContain(`pid ${run.pid} on host`)

        run.interrupt()
        const exit = await run.exited
        expect(exit.exitCode, run.output).toBe(130)
        // interrupted in the full load: resume is offered, complete is not (nothing to cut over)
        const after = run.output.slice(run.output.indexOf('interrupted:'))
        expect(after).toContain(`pgferry resume ${id} --target postgres://`)
        expect(after).not.toMatch(/complete/)
        await held.release()
        released = true

        const stopped = await ptyRun(['status', id, '--target', pair.target.url()])
        expect(stopped.output).toMatch(/runner +stopped \(no process runs it now\)/)
        // the Ctrl-C is kept as a pause, not as an error
        expect(stopped.output).not.toMatch(/^error /m)
        const events = await ptyRun(['events', id, '--target', pair.target.url(), '--json'])
        const kept = events.output
          .split(/\r?\n/)
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { type: string; stage?: string; reason?: string })
        expect(kept.filter((e) => e.type === 'error')).toEqual([])
        expect(kept).toContainEqual(
          expect.objectContaining({
            type: 'task:paused',
            stage: 'fullload',
            reason: 'received SIGINT',
          }),
        )
        await pair.source.query(
          `INSERT INTO items (id, name) VALUES (100001, 'after Ctrl-C')`,
          [],
          db,
        )
        const resumed = await ptyRun(['resume', id, ...conn, '--complete-after-sync'])
        expect(resumed.exitCode, resumed.output).toBe(0)
        expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
        const rows = await pair.target.query(`SELECT name FROM items WHERE id = 100001`, [], db)
        expect(rows.rows).toEqual([{ name: 'after Ctrl-C' }])
      } finally {
        if (!released) await held.release()
        run.kill('SIGKILL')
        await run.exited
      }
    },
    3 * LONG,
  )

  it(
    'status --watch redraws until Ctrl-C; events --follow prints events as they are kept and ends with the run',
    async () => {
      const { conn, held, run } = await startHeldRun('pty_watch')
      try {
        const id = await taskIdOf(run)
        await run.waitFor(/stage fullload: started/, LONG)
        const target = ['--target', pair.target.url()]
        const follow = new PtyCli([
          'events',
          id,
          ...target,
          '--follow',
          '--json',
          '--interval',
          '0.2',
        ])
        await follow.waitFor(/"type":"task:state".*"to":"running_full_load"/, LONG)
        const watch = new PtyCli(['status', id, ...target, '--watch', '--interval', '0.2'])
        // two redraws, each on a cleared screen
        const redraw = String.raw`\x1b\[2J[^]*runner +running`
        await watch.waitFor(new RegExp(`${redraw}[^]*${redraw}`), LONG)
        watch.interrupt()
        expect((await watch.exited).exitCode, watch.output).toBe(130)

        run.interrupt()
        expect((await run.exited).exitCode, run.output).toBe(130)
        // the pause was kept after follow started: it printed it, then ended as no process runs it
        const end = await follow.exited
        expect(end.exitCode, follow.output).toBe(0)
        const lines = follow.output
          .split(/\r?\n/)
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { type: string; at: string; to?: string })
        expect(lines.every((l) => typeof l.type === 'string' && typeof l.at === 'string')).toBe(
          true,
        )
        expect(lines.filter((l) => l.type === 'task:state').map((l) => l.to)).toContain('paused')
        await ptyRun(['delete', id, ...conn])
      } finally {
        await held.release()
        run.kill('SIGKILL')
        await run.exited
      }
    },
    LONG,
  )

  it(
    'status after the runner was killed (SIGKILL) shows the task stopped and how to resume',
    async () => {
      const { conn, held, run } = await startHeldRun('pty_kill')
      try {
        const id = await taskIdOf(run)
        await run.waitFor(/stage fullload: started/, LONG)
        run.kill('SIGKILL')
        expect((await run.exited).signal).toBe(9)
        const status = await ptyRun(['status', id, '--target', pair.target.url()])
        expect(status.exitCode, status.output).toBe(0)
        expect(status.output).toMatch(new RegExp(`runner +stopped: pid ${run.pid} on host `))
        expect(status.output).toContain(`next     pgferry resume ${id} --source postgres://`)
        const json = await ptyRun(['status', id, '--target', pair.target.url(), '--json'])
        const line = JSON.parse(json.output.trim()) as { type: string; runState: string }
        expect(line).toMatchObject({ type: 'status', runState: 'stopped' })
        await ptyRun(['delete', id, ...conn])
      } finally {
        await held.release()
      }
    },
    LONG,
  )

  it(
    'resume asks for each password on the terminal without echoing it; a wrong one is refused with the task left as it was',
    async () => {
      const password = `Pw-${randomBytes(9).toString('hex')}`
      const wrong = `Wrong-${randomBytes(9).toString('hex')}`
      await requirePassword(pair.source, 'pty_pw', password)
      await requirePassword(pair.target, 'pty_pw', password)
      const db = await pair.source.createDatabase('pty_prompt')
      await pair.source.query(
        `CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g`,
        [],
        db,
      )
      // a task past its precheck, created with passwords (which are never stored)
      const task = await createTask({
        name: 'prompt',
        source: `postgres://pty_pw:${password}@127.0.0.1:${pair.source.port}/${db}`,
        target: `postgres://pty_pw:${password}@127.0.0.1:${pair.target.port}/postgres`,
        type: 'full',
      })
      await passPrecheck(task)
      const id = task.id
      await task.close()
      const stored = async (): Promise<unknown> =>
        (
          await pair.target.query(
            `SELECT state, stage, error, updated_at FROM pgferry.task WHERE id = $1`,
            [id],
          )
        ).rows[0]
      const before = await stored()
      const target = `postgres://pty_pw@127.0.0.1:${pair.target.port}/postgres`
      const noPasswords = { PGFERRY_SOURCE_PASSWORD: '', PGFERRY_TARGET_PASSWORD: '' }
      /** `resume` in a terminal, typing `sourcePassword` at the source's prompt. */
      const resume = async (sourcePassword: string): Promise<PtyCli> => {
        const r = new PtyCli(['resume', id.slice(0, 8), '--target', target], noPasswords)
        await r.waitFor(/target password for task \S+: /, LONG)
        r.type(`${password}\r`)
        await r.waitFor(/source password for task \S+: /, LONG)
        r.type(`${sourcePassword}\r`)
        await r.exited
        return r
      }

      const refused = await resume(wrong)
      expect((await refused.exited).exitCode, refused.output).toBe(1)
      expect(refused.output).toMatch(
        /PGFERRY_CONNECT_AUTH_FAILED: .*password authentication failed for user 'pty_pw'/,
      )
      expect(refused.output).not.toContain(wrong)
      expect(refused.output).not.toContain(password)
      expect(await stored()).toEqual(before)

      const resumed = await resume(password)
      expect((await resumed.exited).exitCode, resumed.output).toBe(0)
      expect(resumed.output).not.toContain(password)
      const digest = `SELECT count(*)::int AS n, md5(string_agg(id || ':' || v, ',' ORDER BY id)) AS h FROM t`
      const [source, copied] = await Promise.all([
        pair.source.query(digest, [], db),
        pair.target.query(digest, [], db),
      ])
      expect(copied.rows).toEqual(source.rows)
      expect(copied.rows[0]).toMatchObject({ n: 500 })
    },
    2 * LONG,
  )
})
