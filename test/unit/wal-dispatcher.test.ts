/**
 * The dispatcher's waiting: a consumer that returns promises (here: every 7th message, including
 * in the middle of a released streamed transaction) must see exactly the messages, in exactly the
 * order, of a consumer that never waits; reading stops while it waits and goes on from `onResume`.
 */
import { describe, expect, it } from 'vitest'
import { BackendCode, CopyBothFramer, FrameResult } from '../../src/wal/copy-both-framer.js'
import { MessageDispatcher } from '../../src/wal/message-dispatcher.js'
import { ReplicationCode, XLOGDATA_HEADER } from '../../src/wal/standby-messages.js'
import { StreamSpool } from '../../src/wal/stream-spool.js'
import { feed, loadFixture, plain, type Plain } from './wal-fixture-reader.js'

async function feedSlowly(
  bytes: Buffer,
): Promise<{ messages: Plain[]; waits: number; maxPending: number }> {
  const messages: Plain[] = []
  let waits = 0
  let pending = 0
  let maxPending = 0
  let resume!: () => void
  let failed: unknown
  const dispatcher = new MessageDispatcher(
    (m) => {
      messages.push(plain(m))
      pending++
      maxPending = Math.max(maxPending, pending)
      if (messages.length % 7 !== 0) {
        pending--
        return undefined
      }
      waits++
      return new Promise<void>((r) =>
        setImmediate(() => {
          pending--
          r()
        }),
      )
    },
    { spool: new StreamSpool(), onResume: () => resume(), onError: (e) => (failed = e) },
  )
  const framer = new CopyBothFramer({
    frame(code, buffer, start, end) {
      if (code !== BackendCode.CopyData || buffer[start] !== ReplicationCode.XLogData)
        return FrameResult.Continue
      const walStart = buffer.readBigUInt64BE(start + 1)
      return dispatcher.dispatch(buffer, start + XLOGDATA_HEADER, end, walStart)
        ? FrameResult.Continue
        : FrameResult.Pause
    },
  })
  // 4 KiB reads, like a socket; a paused framer is resumed only from onResume
  for (let at = 0; at < bytes.length; at += 4096) {
    if (framer.push(bytes.subarray(at, at + 4096))) continue
    for (;;) {
      await new Promise<void>((r) => (resume = r))
      expect(dispatcher.busy).toBe(false)
      if (framer.resume()) break
    }
  }
  if (failed !== undefined) throw failed
  return { messages, waits, maxPending }
}

describe('message dispatcher with a consumer that waits', () => {
  it.each(['v14-p2-streaming', 'v17-p4-all', 'v17-p3-twophase'])(
    '%s: same messages in the same order, one at a time',
    async (name) => {
      const bytes = loadFixture(name)
      const eager = feed([bytes], 'spool').messages
      const slow = await feedSlowly(bytes)
      expect(slow.waits).toBeGreaterThan(50)
      expect(slow.maxPending).toBe(1) // never a second message while one is pending
      expect(slow.messages).toEqual(eager)
    },
  )

  it('tracks what must be confirmed before idle keepalives may be confirmed', () => {
    const bytes = loadFixture('v12-p1')
    const dispatcher = new MessageDispatcher(() => undefined, {
      spool: undefined,
      onResume: () => undefined,
      onError: () => undefined,
    })
    let lastCommitEnd = 0n
    let sawOpen = false
    const framer = new CopyBothFramer({
      frame(code, buffer, start, end) {
        if (code !== BackendCode.CopyData || buffer[start] !== ReplicationCode.XLogData)
          return FrameResult.Continue
        const type = buffer[start + XLOGDATA_HEADER]
        dispatcher.dispatch(buffer, start + XLOGDATA_HEADER, end, buffer.readBigUInt64BE(start + 1))
        if (type === 0x42) sawOpen ||= !dispatcher.idle(2n ** 63n) // inside a transaction: never idle
        if (type === 0x43) lastCommitEnd = dispatcher.mustConfirm
        return FrameResult.Continue
      },
    })
    framer.push(bytes)
    expect(sawOpen).toBe(true)
    expect(lastCommitEnd).toBeGreaterThan(0n)
    expect(dispatcher.idle(lastCommitEnd - 1n)).toBe(false)
    expect(dispatcher.idle(lastCommitEnd)).toBe(true)
  })
})
