/**
 * ChangeWriter's hot path (issue 11): a change that only joins the open run returns no promise
 * (no async function, no turn of the event loop per row); a run is sent when it is full or when a
 * change cannot join it, and then the change comes back as a promise; an error still comes as a
 * rejected promise, never as a throw into the stream's handler. The statements' effect on real
 * servers is in test/integration/set-based-apply.test.ts and apply-merge.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { ChangeWriter } from '../../src/apply/change-writer.js'
import type { RelationPlan } from '../../src/apply/relation-plan.js'
import { textPlan } from '../harness/text-plan.js'
import { MessageType, TupleData, TupleKind } from '../../src/wal/pgoutput-messages.js'

/** A client that records each statement's parameters and answers with the run's row count. */
function recordingClient(): { sent: unknown[][]; query: (q: unknown) => Promise<unknown> } {
  const sent: unknown[][] = []
  return {
    sent,
    query(q: unknown): Promise<unknown> {
      if (typeof q === 'string') return Promise.resolve({ rowCount: 0, rows: [] })
      const values = (q as { values?: unknown[] }).values ?? []
      sent.push(values)
      const first = values[0]
      // the run's first array as its literal: `{"a","b"}` (text-array.ts); the test's values hold no comma
      const rows = typeof first === 'string' ? first.split(',').length : 1
      return Promise.resolve({ rowCount: rows, rows: [] })
    },
  }
}

function planOf(identity: 'd' | 'f'): RelationPlan {
  return textPlan(`t_${identity}`, identity === 'd' ? 16801 : 16802, identity, ['id', 'v'])
}

function tuple(values: readonly (string | null)[]): TupleData {
  const layout: number[] = []
  let text = ''
  for (const v of values) {
    if (v === null) layout.push(TupleKind.Unchanged, 0, 0)
    else {
      layout.push(TupleKind.Text, text.length, v.length)
      text += v
    }
  }
  return new TupleData(Buffer.from(text), values.length, layout)
}

function update(
  plan: RelationPlan,
  id: number,
  v: string,
  old?: string,
): Parameters<ChangeWriter['update']>[1] {
  return {
    type: MessageType.Update,
    xid: undefined,
    relation: plan.relation,
    oldKind: old === undefined ? undefined : 'O',
    oldTuple: old === undefined ? undefined : tuple([String(id), old]),
    newTuple: tuple([String(id), v]),
  }
}

describe('ChangeWriter runs', () => {
  it('returns no promise for a change that joins the open run, and one when the run is full', async () => {
    const client = recordingClient()
    const writer = new ChangeWriter(client as never, 3)
    const plan = planOf('d')
    expect(writer.update(plan, update(plan, 1, 'a'))).toBeUndefined()
    expect(writer.update(plan, update(plan, 2, 'b'))).toBeUndefined()
    const full = writer.update(plan, update(plan, 3, 'c'))
    expect(full).toBeInstanceOf(Promise)
    await full
    await writer.flush()
    expect(client.sent).toHaveLength(1)
    expect(client.sent[0]).toEqual(['{"a","b","c"}', '{"1","2","3"}'])
  })

  it('sends the open run first when a change cannot join it, then takes the change', async () => {
    const client = recordingClient()
    const writer = new ChangeWriter(client as never, 100)
    const plan = planOf('f')
    expect(writer.update(plan, update(plan, 1, 'b', 'a'))).toBeUndefined()
    // its old image is the new image of the row before: the run must end before it
    const next = writer.update(plan, update(plan, 1, 'c', 'b'))
    expect(next).toBeInstanceOf(Promise)
    await next
    expect(writer.update(plan, update(plan, 2, 'y', 'x'))).toBeUndefined()
    await writer.flush()
    expect(client.sent.map((values) => values[0])).toEqual(['{"b"}', '{"c","y"}'])
  })

  it('gives an error as a rejected promise, never a throw', async () => {
    const writer = new ChangeWriter(recordingClient() as never)
    const plan = planOf('d')
    // an INSERT that carries an unchanged-TOAST column cannot be written
    const bad = writer.insert(plan, tuple(['1', null]))
    expect(bad).toBeInstanceOf(Promise)
    await expect(bad).rejects.toMatchObject({ code: 'PGFERRY_APPLY_FAILED' })
  })
})
