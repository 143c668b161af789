/**
 * The applied position while the stream's start has not returned (issue 13, found by the 12 → 17
 * steady-writer verify test, whose sync died about every other run with "Cannot read properties
 * of undefined (reading 'confirm')"): ReplicationStream.start may hand the apply its first
 * messages before it resolves, and a transaction with nothing to write is confirmed at once. The
 * confirmation must not throw, and must reach the stream once it is known.
 */
import { describe, expect, it } from 'vitest'
import { AppliedPosition } from '../../src/apply/applied-position.js'
import type { StageContext } from '../../src/model/stage.js'
import type { ReplicationStream } from '../../src/wal/replication-stream.js'
import { formatLsn } from '../../src/wal/lsn.js'

/** A stream that records what it is told to confirm. */
function fakeStream(): { stream: ReplicationStream; confirmed: () => bigint } {
  let confirmed = 0n
  const stream = {
    confirm: (lsn: bigint) => {
      if (lsn > confirmed) confirmed = lsn
    },
    get confirmedLsn() {
      return formatLsn(confirmed)
    },
    receivedLsn: formatLsn(0x300n),
  }
  return { stream: stream as unknown as ReplicationStream, confirmed: () => confirmed }
}

describe('AppliedPosition before the stream is known', () => {
  it('a transaction confirmed before start returned is passed on to the stream once known', () => {
    const ctx = { taskId: 't', emit: () => undefined } as unknown as StageContext
    const known: { stream?: ReplicationStream } = {}
    const position = new AppliedPosition(ctx, 'db', 0x100n, () => known.stream)
    expect(() => position.nothingWritten(0x200n, 0n, true)).not.toThrow()
    expect(position.appliedLsn).toBe(0x200n)
    const fake = fakeStream()
    known.stream = fake.stream
    expect(position.appliedLsn).toBe(0x200n)
    expect(fake.confirmed()).toBe(0x200n)
    position.nothingWritten(0x250n, 0n, true)
    expect(fake.confirmed()).toBe(0x250n)
  })
})
