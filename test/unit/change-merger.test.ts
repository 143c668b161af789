/**
 * ChangeMerger's bulk bypass (change-merger.ts, issue 11): when the held limit is reached with one
 * table held and no key of it changed twice, that table's changes go straight to the writer until
 * the next flush; a table whose keys did repeat stays merged. Exactness of both paths against a
 * real server: test/integration/apply-merge.test.ts (a bulk transaction past the limit).
 */
import { describe, expect, it } from 'vitest'
import { ChangeMerger } from '../../src/apply/change-merger.js'
import type { ChangeWriter } from '../../src/apply/change-writer.js'
import type { RelationPlan } from '../../src/apply/relation-plan.js'
import {
  columnText,
  MessageType,
  TupleData,
  TupleKind,
  type UpdateMessage,
} from '../../src/wal/pgoutput-messages.js'

/** A keyed table (id, n) whose changes may be merged. */
const plan = {
  keys: [0],
  written: [0, 1],
  columns: ['id', 'n'],
  relation: { replicaIdentity: 'd' },
  isKey: (i: number) => i === 0,
  orderMatters: () => false,
} as unknown as RelationPlan

function tuple(id: number, n: number): TupleData {
  const a = String(id)
  const b = String(n)
  return new TupleData(Buffer.from(a + b), 2, [
    TupleKind.Text,
    0,
    a.length,
    TupleKind.Text,
    a.length,
    b.length,
  ])
}

const update = (id: number, n: number): UpdateMessage => ({
  type: MessageType.Update,
  relation: plan.relation,
  oldKind: undefined,
  oldTuple: undefined,
  newTuple: tuple(id, n),
  xid: undefined,
})

/** A merger over a writer that records each update it receives as `id=n`. */
function recorded(maxRows: number): { merger: ChangeMerger; written: string[] } {
  const written: string[] = []
  const writer = {
    insert: () => Promise.resolve(),
    update: (_p: RelationPlan, m: UpdateMessage) => {
      written.push(`${columnText(m.newTuple, 0)}=${columnText(m.newTuple, 1)}`)
      return Promise.resolve()
    },
    flush: () => Promise.resolve(),
    settle: () => Promise.resolve(),
    discard: () => undefined,
  } as unknown as ChangeWriter
  const merger = new ChangeMerger(writer, maxRows)
  merger.register(plan, false)
  return { merger, written }
}

describe('change merger bulk bypass', () => {
  it('distinct keys past the limit: the rest goes straight to the writer until the flush', async () => {
    const { merger, written } = recorded(3)
    for (const id of [1, 2, 3]) await merger.update(plan, update(id, 0))
    expect(written).toEqual(['1=0', '2=0', '3=0'])
    await merger.update(plan, update(4, 0))
    await merger.update(plan, update(4, 1))
    // written as they came: no longer held, so not merged
    expect(written).toEqual(['1=0', '2=0', '3=0', '4=0', '4=1'])
    await merger.flush()
    // after the flush (a COMMIT) the table is held and merged again
    await merger.update(plan, update(5, 0))
    await merger.update(plan, update(5, 1))
    expect(merger.held).toBe(1)
    await merger.flush()
    expect(written.slice(5)).toEqual(['5=1'])
  })

  it('a key that repeated before the limit keeps the table merged', async () => {
    const { merger, written } = recorded(3)
    for (const [id, n] of [
      [1, 0],
      [1, 1],
      [2, 0],
      [3, 0],
    ] as const)
      await merger.update(plan, update(id, n))
    expect(written).toEqual(['1=1', '2=0', '3=0'])
    await merger.update(plan, update(4, 0))
    await merger.update(plan, update(4, 1))
    expect(written).toHaveLength(3)
    await merger.flush()
    expect(written.slice(3)).toEqual(['4=1'])
  })
})
