import { describe, expect, it } from 'vitest'
import { PgferryError } from '../../src/errors.js'
import {
  REWRITES_PER_TABLE,
  TableRewrittenError,
  loadRewrittenAgain,
} from '../../src/fullload/rewrite-rounds.js'

/** A load that fails with a rewrite of each of `tables` in turn, then returns 'done'. */
function loadFailing(tables: string[]): { load: () => Promise<string>; calls: () => number } {
  let calls = 0
  return {
    load: async () => {
      const t = tables[calls++]
      if (t !== undefined) throw new TableRewrittenError(t)
      return 'done'
    },
    calls: () => calls,
  }
}

describe('loadRewrittenAgain', () => {
  it('runs as many rounds as different tables were rewritten (the torture loop found 3 in 3 rounds)', async () => {
    const { load, calls } = loadFailing(['a', 'b', 'c', 'd', 'e'])
    const seen: string[] = []
    const r = await loadRewrittenAgain(
      load,
      (e) => seen.push(e.table),
      new AbortController().signal,
    )
    expect(r).toBe('done')
    expect(calls()).toBe(6)
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('gives up on a table rewritten again and again, naming it and the fix', async () => {
    const { load, calls } = loadFailing(Array.from({ length: 10 }, () => '"public"."queue"'))
    const error = await loadRewrittenAgain(
      load,
      () => undefined,
      new AbortController().signal,
    ).catch((e: unknown) => e)
    expect(calls()).toBe(REWRITES_PER_TABLE)
    expect(error).toBeInstanceOf(PgferryError)
    const e = error as PgferryError
    expect(e.code).toBe('PGFERRY_FULLLOAD_TABLE_REWRITTEN')
    expect(e.message).toContain('"public"."queue"')
    expect(e.fix).toContain('pause what truncates or rewrites "public"."queue"')
  })

  it('passes other errors through, and stops when aborted', async () => {
    const other = new PgferryError('PGFERRY_STAGE_FAILED', 'boom')
    await expect(
      loadRewrittenAgain(
        () => Promise.reject(other),
        () => undefined,
        new AbortController().signal,
      ),
    ).rejects.toBe(other)
    const ac = new AbortController()
    ac.abort()
    const { load } = loadFailing(['a'])
    await expect(loadRewrittenAgain(load, () => undefined, ac.signal)).rejects.toThrow()
  })
})
