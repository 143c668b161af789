/**
 * A caller's mistake is an error to the caller and leaves the task as it was (issue 14): a missing
 * password, or a command in the wrong state. Checked on the stored record by SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, PgferryError } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { INCREMENTAL_SCHEMA, structuredTask } from '../harness/incremental-fixture.js'
import { passPrecheck } from '../harness/pass-precheck.js'
import { requirePassword } from '../harness/require-password.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

async function stored(id: string): Promise<Record<string, unknown>> {
  const r = await pair.target.query(`SELECT state, stage, error FROM pgferry.task WHERE id = $1`, [
    id,
  ])
  return r.rows[0] as Record<string, unknown>
}

async function rejection(p: Promise<unknown>): Promise<PgferryError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PgferryError)
  return error as PgferryError
}

describe('caller mistakes leave the task as it was (16 → 16)', () => {
  it('complete before the full load: refused, the task stays ready', async () => {
    const db = await pair.source.createDatabase('early_complete')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await structuredTask(pair, db)
    try {
      const before = await stored(task.id)
      const e = await rejection(task.complete())
      expect(e.code).toBe('PGFERRY_TASK_STATE')
      expect(await stored(task.id)).toEqual(before)
      expect(before.state).not.toBe('failed')
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a task run without the password the source requires: a clear error, the task unchanged', async () => {
    const db = await pair.source.createDatabase('no_password')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    await pair.source.query(`CREATE ROLE mistake_pw LOGIN SUPERUSER`)
    const task = await createTask({
      name: 'no password',
      source: { ...pair.source.config(db), user: 'mistake_pw' },
      target: pair.target.config('postgres'),
      type: 'full+incremental',
      objects: { databases: { [db]: true } },
    })
    try {
      await passPrecheck(task)
      // the server asks for a password from now on (a pg_hba.conf change, or a task run elsewhere)
      await requirePassword(pair.source, 'mistake_pw', 'mistake-pw-42')
      const before = await stored(task.id)
      const e = await rejection(task.run())
      expect(e.code).toBe('PGFERRY_CONFIG_SECRET_MISSING')
      expect(e.message).not.toContain('SASL')
      expect(e.message).toContain('mistake_pw')
      expect(e.fix).toMatch(/PGFERRY_SOURCE_PASSWORD/)
      expect(await stored(task.id)).toEqual(before)
    } finally {
      await task.close()
    }
  }, 120_000)
})
