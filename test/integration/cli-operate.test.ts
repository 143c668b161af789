/**
 * Operating a task from the CLI (issue 14). Read-only commands create nothing on a server they only
 * look at. The task lease: `resume` and `complete` of a task another process runs
 * are refused with its pid, host and the fix, and leave the task as it was; `--takeover` takes a
 * lease whose holder is gone. The holder here is a process on another host, written into the store
 * the way its heartbeat would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { cli } from '../harness/cli.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  eventually,
  loadedTask,
  startWriter,
} from '../harness/incremental-fixture.js'

/** What the driver (pg) or Node prints on stderr for a deprecated use: never, in any command. */
const DRIVER_WARNING = /DeprecationWarning|\(node:\d+\)|SECURITY WARNING/

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('pgferry CLI: operate a task (16 → 16)', () => {
  it('list, status and a missing task leave no pgferry schema on a fresh target', async () => {
    const db = await pair.target.createDatabase('fresh_target')
    const target = pair.target.url(db)
    const list = await cli(['list', '--target', target])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toContain('no tasks')
    const status = await cli(['status', 'no-such-task', '--target', target])
    expect(status.code).toBe(1)
    const events = await cli(['events', 'no-such-task', '--target', target])
    expect(events.code, events.stderr).toBe(0)
    for (const r of [list, status, events]) expect(r.stderr).not.toMatch(DRIVER_WARNING)
    const schemas = await pair.target.query(
      `SELECT nspname FROM pg_namespace WHERE nspname = 'pgferry'`,
      [],
      db,
    )
    expect(schemas.rows).toEqual([])
  }, 120_000)

  it('resume and complete are refused while another host holds the task; complete --takeover completes it', async () => {
    const db = await pair.source.createDatabase('cli_lease')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `cli-lease-${db}`
    const task = await loadedTask(pair, db, { id })
    await (await task.startIncremental()).stop()
    await task.close()
    await pair.target.query(
      `INSERT INTO pgferry.lease (task_id, token, host, pid, started_at, beat_at)
       VALUES ($1, 'remote', 'db-tools-1', 5643, now() - interval '5 minutes', now() + interval '1 hour')`,
      [id],
    )
    const stored = async (): Promise<unknown> =>
      (await pair.target.query(`SELECT state, stage, error FROM pgferry.task WHERE id = $1`, [id]))
        .rows[0]
    const before = await stored()
    const conn = ['--source', pair.source.url(db), '--target', pair.target.url('postgres')]
    for (const command of ['resume', 'complete']) {
      const r = await cli([command, id, ...conn])
      expect(r.code, r.stdout + r.stderr).toBe(1)
      expect(r.stderr).toContain('PGFERRY_TASK_LEASED')
      expect(r.stderr).toContain('pid 5643 on host db-tools-1 since')
      expect(r.stderr).toContain(
        `stop it (Ctrl-C) first, or pgferry pause ${id} from here; pass --takeover`,
      )
      expect(r.stderr).not.toMatch(DRIVER_WARNING)
      expect(await stored()).toEqual(before)
    }
    const done = await cli(['complete', id, ...conn, '--takeover'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    expect(done.stderr).not.toMatch(DRIVER_WARNING)
    expect(await stored()).toMatchObject({ state: 'completed' })
    expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
    expect(
      (await pair.target.query(`SELECT 1 FROM pgferry.lease WHERE task_id = $1`, [id])).rowCount,
    ).toBe(0)
  }, 240_000)

  it('a lease whose holder stopped beating is taken over once older than --lease-stale-after, not before', async () => {
    const db = await pair.source.createDatabase('cli_stale')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `cli-stale-${db}`
    const task = await loadedTask(pair, db, { id })
    await (await task.startIncremental()).stop()
    await task.close()
    // a holder on another host whose last beat was 2 minutes ago
    await pair.target.query(
      `INSERT INTO pgferry.lease (task_id, token, host, pid, started_at, beat_at)
       VALUES ($1, 'remote', 'db-tools-2', 7001, now() - interval '1 hour', now() - interval '2 minutes')`,
      [id],
    )
    const conn = ['--source', pair.source.url(db), '--target', pair.target.url('postgres')]
    const refused = await cli(['complete', id, ...conn, '--lease-stale-after', '600'])
    expect(refused.code, refused.stdout + refused.stderr).toBe(1)
    expect(refused.stderr).toContain('pid 7001 on host db-tools-2')
    const done = await cli(['complete', id, ...conn, '--lease-stale-after', '60'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    const state = await pair.target.query(`SELECT state FROM pgferry.task WHERE id = $1`, [id])
    expect(state.rows).toEqual([{ state: 'completed' }])
    expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
  }, 240_000)

  it('status shows the running process and the next command; after a SIGKILL, stopped and resume; events as JSON lines', async () => {
    const db = await pair.source.createDatabase('cli_status')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `cli-status-${db}`
    const task = await loadedTask(pair, db, { id })
    await task.close()
    const target = ['--target', pair.target.url('postgres')]
    const child = spawnTs('test/harness/incremental-child.ts', [id, pair.target.url('postgres')], {
      PGFERRY_TEST_BEAT_MS: '200',
    })
    const writerClient = await pair.source.client(db)
    const writer = startWriter(writerClient)
    try {
      await waitForLine(child, /STREAMING/, 60_000)
      // the running process's beats carry its lag and apply rate
      let live: {
        lag?: Record<string, { bytes: number; seconds: number }>
        appliedRowsPerSecond?: number
      } = {}
      await eventually(async () => {
        const r = await cli(['status', id, ...target, '--json'])
        live = (JSON.parse(r.stdout) as { runner: { live: typeof live | null } }).runner.live ?? {}
        return live.lag?.[db] !== undefined && (live.appliedRowsPerSecond ?? 0) > 0
      }, 120_000)
      expect(live.lag?.[db]?.bytes).toBeGreaterThanOrEqual(0)
      expect(live.lag?.[db]?.seconds).toBeGreaterThanOrEqual(0)
      const text = await cli(['status', id, ...target])
      expect(text.stderr).not.toMatch(DRIVER_WARNING)
      expect(text.stdout).toMatch(new RegExp(`lag +${db}: .* behind`))
      expect(text.stdout).toMatch(/applied +[\d.]+ rows\/s, [\d.]+ transactions\/s/)
      expect(text.code, text.stderr).toBe(0)
      expect(text.stdout).toMatch(
        new RegExp(`runner +running: pid ${child.pid} on host \\S+ since`),
      )
      expect(text.stdout).toContain(`pgferry complete ${id}`)
      const json = await cli(['status', id, ...target, '--source', pair.source.url(db), '--json'])
      const parsed = JSON.parse(json.stdout) as {
        state: string
        runState: string
        runner: { pid: number; running: boolean }
        next: string
        slots: { lagBytes: string | null; retainedBytes: string | null }[]
      }
      expect(parsed.slots).toHaveLength(1)
      expect(BigInt(parsed.slots[0]?.lagBytes ?? '-1')).toBeGreaterThanOrEqual(0n)
      expect(BigInt(parsed.slots[0]?.retainedBytes ?? '-1')).toBeGreaterThanOrEqual(0n)
      expect(parsed).toMatchObject({
        state: 'incremental_sync',
        runState: 'running',
        runner: { pid: child.pid, running: true },
      })
    } finally {
      await writer.stop()
      await writerClient.end()
      child.kill('SIGKILL')
      await new Promise<void>((r) =>
        child.exitCode !== null ? r() : child.once('exit', () => r()),
      )
    }
    const after = await cli(['status', id, ...target, '--json'])
    expect(JSON.parse(after.stdout)).toMatchObject({
      runState: 'stopped',
      runner: { running: false },
      next: expect.stringContaining(`pgferry resume ${id} --source postgres://`) as unknown,
    })
    // the next command names the task's real servers (no password: that comes from the environment)
    const next = (JSON.parse(after.stdout) as { next: string }).next
    expect(next).toContain(`:${pair.source.port}/${db} --target postgres://`)
    expect(next).toContain(`:${pair.target.port}/postgres`)
    const events = await cli(['events', id, ...target, '--json'])
    expect(events.code, events.stderr).toBe(0)
    expect(events.stderr).not.toMatch(DRIVER_WARNING)
    const lines = events.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; to?: string })
    expect(lines.filter((l) => l.type === 'task:state').map((l) => l.to)).toContain(
      'incremental_sync',
    )
  }, 240_000)
})
