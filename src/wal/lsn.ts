/**
 * Log sequence numbers. Internally a `bigint` (a uint64 on the wire; a JS number loses the low
 * bits past 2^53), at the API boundary the server's `"X/Y"` text (two hex halves, as
 * `pg_current_wal_lsn()` prints it).
 */
import { PgferryError } from '../errors.js'

/** An LSN as PostgreSQL prints it, `"16/B374D848"`. @public */
export type LsnString = string

/** `0/0`, PostgreSQL's InvalidXLogRecPtr. @public */
export const LSN_ZERO = 0n

const LSN_RE = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/
const MAX_LSN = 0xffff_ffff_ffff_ffffn

/**
 * Parse `"X/Y"` into a bigint. Throws `PGFERRY_LSN_INVALID` on anything else.
 * @public
 */
export function parseLsn(text: LsnString): bigint {
  const m = LSN_RE.exec(text)
  if (m === null) {
    throw new PgferryError('PGFERRY_LSN_INVALID', `not an LSN: ${JSON.stringify(text)}`, {
      fix: 'an LSN is two hexadecimal halves separated by a slash, e.g. 16/B374D848',
    })
  }
  return (BigInt(`0x${m[1] ?? '0'}`) << 32n) | BigInt(`0x${m[2] ?? '0'}`)
}

/**
 * Format a bigint LSN as PostgreSQL does: upper-case hex, no padding (`"0/16B3748"`).
 * @public
 */
export function formatLsn(lsn: bigint): LsnString {
  if (lsn < 0n || lsn > MAX_LSN) {
    throw new PgferryError('PGFERRY_LSN_INVALID', `LSN out of range: ${lsn}`)
  }
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`
}

/**
 * Compare two LSNs (bigint or `"X/Y"`): negative, zero or positive, for `Array.prototype.sort`.
 * @public
 */
export function compareLsn(a: bigint | LsnString, b: bigint | LsnString): number {
  const x = typeof a === 'bigint' ? a : parseLsn(a)
  const y = typeof b === 'bigint' ? b : parseLsn(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** An LSN given either way, as a bigint. */
export function toLsn(lsn: bigint | LsnString): bigint {
  if (typeof lsn === 'bigint') {
    if (lsn < 0n || lsn > MAX_LSN)
      throw new PgferryError('PGFERRY_LSN_INVALID', `LSN out of range: ${lsn}`)
    return lsn
  }
  return parseLsn(lsn)
}
