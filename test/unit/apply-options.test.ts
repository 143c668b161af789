import { describe, expect, it } from 'vitest'
import {
  DEFAULT_BATCH_MS,
  DEFAULT_BATCH_ROWS,
  DEFAULT_LAG_INTERVAL_MS,
  DEFAULT_NEW_TABLE_CHECK_MS,
  resolveApplyOptions,
} from '../../src/apply/apply-options.js'
import { DEFAULT_RECEIVE_TIMEOUT_MS } from '../../src/wal/receive-watchdog.js'
import { PgferryError } from '../../src/errors.js'

describe('resolveApplyOptions', () => {
  it('defaults what is left out and keeps what is given', () => {
    expect(resolveApplyOptions({})).toMatchObject({
      batchRows: DEFAULT_BATCH_ROWS,
      batchMs: DEFAULT_BATCH_MS,
      lagIntervalMs: DEFAULT_LAG_INTERVAL_MS,
      newTableCheckMs: DEFAULT_NEW_TABLE_CHECK_MS,
      walRetainedWarnBytes: undefined,
      receiveTimeoutMs: DEFAULT_RECEIVE_TIMEOUT_MS,
    })
    expect(
      resolveApplyOptions({
        batchRows: 10,
        batchMs: 20,
        lagIntervalMs: 30,
        newTableCheckMs: 40,
        walRetainedWarnBytes: 0,
        receiveTimeoutMs: 0,
      }),
    ).toMatchObject({
      batchRows: 10,
      batchMs: 20,
      lagIntervalMs: 30,
      newTableCheckMs: 40,
      walRetainedWarnBytes: 0,
      receiveTimeoutMs: 0,
    })
  })

  it.each([
    ['batchRows', 0, 'greater than 0'],
    ['batchRows', -5, 'greater than 0'],
    ['batchRows', '100', 'greater than 0'],
    ['batchRows', 2.5, 'whole number'],
    ['batchMs', -1, 'greater than 0'],
    ['batchMs', Number.NaN, 'greater than 0'],
    ['lagIntervalMs', Number.POSITIVE_INFINITY, 'greater than 0'],
    ['newTableCheckMs', 0, 'greater than 0'],
    ['walRetainedWarnBytes', -1, '0 or more'],
    ['walRetainedWarnBytes', '5GB', '0 or more'],
    ['receiveTimeoutMs', -1, '0 or more'],
    ['receiveTimeoutMs', Number.NaN, '0 or more'],
  ])('rejects %s: %s naming the option and the fix', (key, value, fix) => {
    let error: unknown
    try {
      resolveApplyOptions({ [key]: value })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(PgferryError)
    const e = error as PgferryError
    expect(e.code).toBe('PGFERRY_OPTIONS_INVALID')
    expect(e.message).toContain(`startIncremental({ ${key} })`)
    expect(e.fix).toContain(fix)
    expect(e.fix).toContain('leave it out')
  })
})
