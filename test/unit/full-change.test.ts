/**
 * A REPLICA IDENTITY FULL change as its run takes it (src/apply/full-change.ts, issue 11): which
 * columns an UPDATE sets when old and new are compared as sent, the old image it matches by, the
 * cached shape, and the numbers that tell a run a later change's old image is one of its new ones.
 * The servers' side (the rows found and changed) is in test/integration/set-based-apply.test.ts and
 * the torture loop.
 */
import { describe, expect, it } from 'vitest'
import type { RelationPlan } from '../../src/apply/relation-plan.js'
import { textPlan } from '../harness/text-plan.js'
import { fullDelete, fullUpdate, imageNumber } from '../../src/apply/full-change.js'
import { TupleData, TupleKind } from '../../src/wal/pgoutput-messages.js'

/** A plan of a FULL table of `n` text columns c0, c1, …. */
function planOf(n: number): RelationPlan {
  const names = Array.from({ length: n }, (_, i) => `c${i}`)
  return textPlan(`full${n}`, 16700 + n, 'f', names)
}

/** A tuple as pgoutput sends it: a string is a text value, null NULL, `U` an unchanged TOAST value. */
function tuple(values: readonly (string | null | typeof U)[], pad = ''): TupleData {
  const layout: number[] = []
  let text = pad
  for (const v of values) {
    if (v === null) layout.push(TupleKind.Null, 0, 0)
    else if (v === U) layout.push(TupleKind.Unchanged, 0, 0)
    else {
      const start = Buffer.byteLength(text)
      text += v
      layout.push(TupleKind.Text, start, Buffer.byteLength(v))
    }
  }
  return new TupleData(Buffer.from(text), values.length, layout)
}
const U = Symbol('unchanged')

describe('a FULL UPDATE as its run takes it', () => {
  const plan = planOf(5)

  it('sets exactly the columns whose sent value differs, and keeps the whole old image', () => {
    // the old and new tuples sit at different offsets of different buffers, as received
    const before = tuple(['1', 'same', null, 'x', 'é€'], 'padding')
    const after = tuple(['1', 'same', 'now', null, 'é€!'])
    const change = fullUpdate(plan, before, after)
    expect(change?.shape.shape).toBe('Fuusss:vvvvv')
    expect(change?.shape.sets).toEqual([2, 3, 4])
    expect(change?.values).toEqual(['now', null, 'é€!'])
    expect(change?.shape.match).toEqual([0, 1, 2, 3, 4])
    expect(change?.image).toEqual(['1', 'same', null, 'x', 'é€'])
  })

  it('sets nothing for an unchanged TOAST value or an equal one, and leaves an old one not sent out of the match', () => {
    expect(
      fullUpdate(plan, tuple(['1', null, 'b', 'c', 'd']), tuple(['1', null, U, 'c', 'd'])),
    ).toBe(undefined)
    const change = fullUpdate(plan, tuple(['1', U, 'b', 'c', 'd']), tuple(['2', U, 'b', 'c', 'd']))
    expect(change?.shape.shape).toBe('Fsuuuu:vuvvv')
    expect(change?.shape.match).toEqual([0, 2, 3, 4])
    // a value of the same length but other bytes is a change; an empty string is not NULL
    const other = fullUpdate(
      plan,
      tuple(['ab', '', 'b', 'c', 'd']),
      tuple(['ac', null, 'b', 'c', 'd']),
    )
    expect(other?.shape.sets).toEqual([0, 1])
    expect(other?.values).toEqual(['ac', null])
  })

  it('gives changes of one shape the same cached shape, and changes of another shape their own', () => {
    const a = fullUpdate(plan, tuple(['1', 'a', 'b', 'c', 'd']), tuple(['1', 'z', 'b', 'c', 'd']))
    const b = fullUpdate(plan, tuple(['7', 'q', 'r', 's', 't']), tuple(['7', 'w', 'r', 's', 't']))
    const c = fullUpdate(plan, tuple(['1', 'a', 'b', 'c', 'd']), tuple(['1', 'a', 'z', 'c', 'd']))
    expect(b?.shape).toBe(a?.shape)
    expect(c?.shape.shape).toBe('Fuusuu:vvvvv')
    const d = fullDelete(plan, tuple(['1', 'a', U, 'c', 'd']))
    expect(d.shape.shape).toBe('FD:vvuvv')
    expect(d.shape.sets).toEqual([])
    expect(d.shape.match).toEqual([0, 1, 3, 4])
    expect(fullDelete(plan, tuple(['1', 'a', 'b', 'c', 'd'])).shape.shape).toBe('FD:vvvvv')
  })

  it('tells the shapes of a table wider than the numeric masks apart', () => {
    const wide = planOf(30)
    const base = Array.from({ length: 30 }, (_, i) => `v${i}`)
    const at = (i: number, v: string | null | typeof U): (string | null | typeof U)[] =>
      base.map((x, k) => (k === i ? v : x))
    const late = fullUpdate(wide, tuple(base), tuple(at(28, 'new')))
    const early = fullUpdate(wide, tuple(base), tuple(at(1, 'new')))
    expect(late?.shape.sets).toEqual([28])
    expect(early?.shape.sets).toEqual([1])
    expect(late?.shape.shape).toBe(`F${'u'.repeat(28)}su:${'v'.repeat(30)}`)
    const gone = fullDelete(wide, tuple(at(29, U)))
    expect(gone.shape.match).toEqual(Array.from({ length: 29 }, (_, i) => i))
    expect(fullDelete(wide, tuple(base)).shape.match).toHaveLength(30)
  })
})

describe('image numbers', () => {
  const plan = planOf(3)

  it('name a new image as the old image of the change that later finds that row', () => {
    const first = fullUpdate(plan, tuple(['1', 'a', null]), tuple(['1', 'b', null]))
    const second = fullUpdate(plan, tuple(['1', 'b', null]), tuple(['1', 'c', null]))
    if (first === undefined || second === undefined) throw new Error('no change')
    expect(second.old).toBe(first.made)
    expect(first.old).not.toBe(first.made)
    expect(first.old).toBe(imageNumber(first.image))
    // a NULL set where the old image held a value, and back
    const toNull = fullUpdate(plan, tuple(['1', 'b', 'x']), tuple(['1', 'b', null]))
    const fromNull = fullUpdate(plan, tuple(['1', 'b', null]), tuple(['1', 'b', 'x']))
    expect(fromNull?.old).toBe(toNull?.made)
    expect(toNull?.old).toBe(fromNull?.made)
  })

  it('tell NULL, an empty string, a value not sent and shifted values apart', () => {
    const images: (string | null | undefined)[][] = [
      ['1', null, 'x'],
      ['1', '', 'x'],
      ['1', undefined, 'x'],
      ['1', 'x', ''],
      ['1x', '', ''],
      ['', '1x', ''],
      ['1', 'x', null],
    ]
    const numbers = new Set(images.map((i) => imageNumber(i)))
    expect(numbers.size).toBe(images.length)
    // small integers: a Set holds them without allocating
    for (const n of numbers)
      expect(n >= -(2 ** 30) && n < 2 ** 30 && Number.isInteger(n)).toBe(true)
  })
})
