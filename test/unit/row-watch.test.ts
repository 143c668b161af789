/**
 * The record of a watched table's changes that verify confirms a difference against (issue 13):
 * which row images a span holds, and when it is `incomplete` (an image lacks a column, an UPDATE
 * came without its old image: a whole-row comparison cannot tell which rows changed, a keyed one
 * still reads the key) or `opaque` (a TRUNCATE, a streamed transaction: anything may have changed).
 */
import { describe, expect, it } from 'vitest'
import { RowWatches } from '../../src/apply/row-watch.js'
import {
  MessageType,
  TupleData,
  TupleKind,
  type PgoutputMessage,
  type RelationMessage,
} from '../../src/wal/pgoutput-messages.js'

const relation: RelationMessage = {
  type: MessageType.Relation,
  xid: undefined,
  relationOid: 42,
  schema: 'public',
  name: 't',
  replicaIdentity: 'd',
  columns: [
    { isKey: true, name: 'id', typeOid: 23, typeMod: -1 },
    { isKey: false, name: 'v', typeOid: 25, typeMod: -1 },
  ],
}

/** A tuple of texts; `null`: SQL NULL, `'u'`: an unchanged TOAST value. */
function tuple(...values: (string | null)[]): TupleData {
  const layout: number[] = []
  let text = ''
  for (const v of values) {
    if (v === null) layout.push(TupleKind.Null, 0, 0)
    else if (v === 'u') layout.push(TupleKind.Unchanged, 0, 0)
    else {
      layout.push(TupleKind.Text, Buffer.byteLength(text), Buffer.byteLength(v))
      text += v
    }
  }
  return new TupleData(Buffer.from(text), values.length, layout)
}

const commit = (endLsn: bigint): PgoutputMessage => ({
  type: MessageType.Commit,
  flags: 0,
  commitLsn: endLsn - 1n,
  endLsn,
  commitTime: 0n,
})

describe('row watch', () => {
  it('records the images of the changes committed in a span, by the end of their transaction', () => {
    const watches = new RowWatches()
    const w = watches.open(42)
    watches.observe({
      type: MessageType.Insert,
      xid: undefined,
      relation,
      newTuple: tuple('1', 'a'),
    })
    watches.observe(commit(100n))
    watches.observe({
      type: MessageType.Delete,
      xid: undefined,
      relation,
      oldKind: 'K',
      oldTuple: tuple('2', null),
    })
    watches.observe(commit(200n))
    expect(w.between(0n, 100n)).toEqual({
      opaque: false,
      incomplete: false,
      rows: [{ id: '1', v: 'a' }],
    })
    expect(w.between(100n, 200n).rows).toEqual([{ id: '2', v: null }])
    expect(w.between(200n, 300n).rows).toEqual([])
    w.close()
  })

  it('an UPDATE without its old image, or with an unchanged TOAST value, is incomplete: the key is still there', () => {
    const watches = new RowWatches()
    const w = watches.open(42)
    watches.observe({
      type: MessageType.Update,
      xid: undefined,
      relation,
      oldKind: undefined,
      oldTuple: undefined,
      newTuple: tuple('3', 'u'),
    })
    watches.observe(commit(100n))
    expect(w.between(0n, 100n)).toEqual({ opaque: false, incomplete: true, rows: [{ id: '3' }] })
  })

  it('a TRUNCATE or a streamed change makes every later span opaque; an unwatched table costs nothing', () => {
    const watches = new RowWatches()
    const w = watches.open(42)
    watches.observe({
      type: MessageType.Insert,
      xid: undefined,
      relation: { ...relation, relationOid: 7 },
      newTuple: tuple('1', 'a'),
    })
    watches.observe(commit(100n))
    expect(w.between(0n, 100n)).toEqual({ opaque: false, incomplete: false, rows: [] })
    watches.observe({ type: MessageType.Insert, xid: 9, relation, newTuple: tuple('1', 'a') })
    expect(w.between(100n, 200n).opaque).toBe(true)
  })
})
