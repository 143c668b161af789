import { describe, expect, it } from 'vitest'
import { walRetainedThreshold } from '../../src/apply/wal-retention.js'

describe('walRetainedThreshold', () => {
  it("is the caller's, else 10 % of max_slot_wal_keep_size, else 5 GiB", () => {
    expect(walRetainedThreshold(1234, 1000n)).toBe(1234n)
    expect(walRetainedThreshold(undefined, 64n * 1024n * 1024n)).toBe(6710886n)
    expect(walRetainedThreshold(undefined, undefined)).toBe(5n * 1024n ** 3n)
  })
})
