import { describe, expect, it } from 'vitest'
import { replayedColumns } from '../../src/apply/replayed-columns.js'

describe('replayedColumns', () => {
  it('reads drops, renames and additions since an older Relation message', () => {
    const cases: [string[], (string | null)[], (string | null)[]][] = [
      // unchanged, with a column dropped before the message
      [
        ['id', 'v'],
        ['id', null, 'v'],
        ['id', 'v'],
      ],
      // added since
      [
        ['id', 'v'],
        ['id', 'v', 'c'],
        ['id', 'v'],
      ],
      // dropped since (between anchors, and last)
      [
        ['id', 'x', 'v'],
        ['id', null, 'v'],
        ['id', null, 'v'],
      ],
      [
        ['id', 'v', 'x'],
        ['id', 'v', null],
        ['id', 'v', null],
      ],
      // renamed since, between anchors past an older drop, and last with an addition after it
      [
        ['id', 'v', 'w'],
        ['id', null, 'v2', 'w', 'z'],
        ['id', 'v2', 'w'],
      ],
      [
        ['id', 'v'],
        ['id', 'v2', 'z'],
        ['id', 'v2'],
      ],
    ]
    for (const [message, slots, now] of cases)
      expect(replayedColumns(message, slots)).toEqual({ ok: true, now })
  })

  it('refuses what it cannot tell: dropped or renamed in one gap, reordered names', () => {
    // v dropped and w added, or v renamed to w with an older drop: the slots alone do not say
    expect(replayedColumns(['id', 'v'], ['id', null, 'w']).ok).toBe(false)
    expect(replayedColumns(['id', 'x', 'y', 'v'], ['id', null, 'y2', null, 'v']).ok).toBe(false)
    expect(replayedColumns(['id', 'x', 'y', 'v'], ['id', null, null, 'v'])).toEqual({
      ok: true,
      now: ['id', null, null, 'v'],
    })
    expect(replayedColumns(['id', 'x', 'y', 'v'], ['id', 'x2', 'y2', 'v'])).toEqual({
      ok: true,
      now: ['id', 'x2', 'y2', 'v'],
    })
    expect(replayedColumns(['id', 'x', 'y', 'v'], ['id', 'x2', null, 'v']).ok).toBe(false)
    expect(replayedColumns(['a', 'b'], ['b', 'a']).ok).toBe(false)
  })
})
