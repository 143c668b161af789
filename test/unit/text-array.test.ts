/**
 * Run arrays sent as literals built by pgferry (src/pg/text-array.ts, issue 11) are the text pg's
 * own serialiser sends for the same arrays, for values that need quoting and escaping. Every
 * set-based statement of the integration suites takes its arrays this way against real servers.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { textArrayLiteral, textArrayParams } from '../../src/pg/text-array.js'

// pg's value mapper, which pg.Client binds parameters with (the package declares no types for it)
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (v: unknown) => unknown
}

const HOSTILE = [
  'plain',
  '',
  'NULL',
  'null',
  'with "quotes"',
  'back\\slash',
  '\\"both\\"',
  'a,b',
  '{braces}',
  ' spaced ',
  'tab\tand\nnewline',
  'é€𝄞',
  '"',
  '\\',
]

describe('text array literals', () => {
  it('are what pg sends for the same array', () => {
    const values = [...HOSTILE, null, undefined, ...HOSTILE.map((v) => `${v}${v}`)]
    expect(textArrayLiteral(values)).toBe(prepareValue(values))
    expect(textArrayLiteral([])).toBe(prepareValue([]))
    expect(textArrayLiteral([null])).toBe(prepareValue([null]))
  })

  it('replace arrays among the parameters and leave other values alone', () => {
    const params = textArrayParams([['a', null], 7, 'x', null, ['1']])
    expect(params).toEqual(['{"a",NULL}', 7, 'x', null, '{"1"}'])
  })
})
