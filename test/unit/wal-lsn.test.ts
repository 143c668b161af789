import { describe, expect, it } from 'vitest'
import { compareLsn, formatLsn, parseLsn, toLsn } from '../../src/wal/lsn.js'
import { isPgferryError } from '../../src/errors.js'

describe('LSN helpers', () => {
  it('round-trips the server text form, including values past 2^53', () => {
    for (const text of ['0/0', '0/16B3748', '16/B374D848', 'FFFFFFFF/FFFFFFFF', '1/0']) {
      expect(formatLsn(parseLsn(text))).toBe(text)
    }
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n)
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n)
    // lower-case and leading zeros are accepted, output is PostgreSQL's canonical form
    expect(formatLsn(parseLsn('0000000a/0000ff'))).toBe('A/FF')
  })

  it('compares bigints and strings numerically, not lexically', () => {
    expect(compareLsn('0/9', '0/10')).toBeLessThan(0)
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBeGreaterThan(0)
    expect(compareLsn(parseLsn('2/5'), '2/5')).toBe(0)
    expect(['1/0', '0/A', '0/9'].sort(compareLsn)).toEqual(['0/9', '0/A', '1/0'])
  })

  it('rejects malformed and out-of-range LSNs with PGFERRY_LSN_INVALID', () => {
    for (const bad of ['', '0', '0/', '/0', 'G/0', '1/2/3', '123456789/0', ' 0/0']) {
      expect(() => parseLsn(bad), bad).toThrow(
        expect.objectContaining({ code: 'PGFERRY_LSN_INVALID' }),
      )
    }
    let error: unknown
    try {
      formatLsn(-1n)
    } catch (e) {
      error = e
    }
    expect(isPgferryError(error, 'PGFERRY_LSN_INVALID')).toBe(true)
    expect(() => toLsn(2n ** 64n)).toThrow(/out of range/)
  })
})
