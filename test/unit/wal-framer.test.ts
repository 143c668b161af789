/**
 * Split input: every captured stream is re-fed split at every byte boundary. The framer has no
 * state at a frame boundary, so a split at offset k can only affect the frame containing k; each
 * split is therefore checked by feeding [frame start, k) and [k, end of the next frame) to a fresh
 * framer and comparing the frames it hands out, byte for byte, with the unsplit run. On top, the
 * whole stream is fed one byte at a time (every boundary split at once) through the decoder and
 * spool and must decode to the same messages, and two small streams (text and binary) are also fed
 * as two chunks at every k end to end.
 */
import { describe, expect, it } from 'vitest'
import { CopyBothFramer, FrameResult } from '../../src/wal/copy-both-framer.js'
import { FIXTURE_NAMES, feed, loadFixture } from './wal-fixture-reader.js'

interface Frame {
  readonly code: number
  readonly body: Buffer
}

function frames(chunks: Buffer[]): Frame[] {
  const out: Frame[] = []
  const framer = new CopyBothFramer({
    frame(code, buffer, start, end) {
      out.push({ code, body: Buffer.from(buffer.subarray(start, end)) })
      return FrameResult.Continue
    },
  })
  for (const c of chunks) if (!framer.push(c)) throw new Error('framer stopped')
  return out
}

function* bytewise(b: Buffer): Generator<Buffer> {
  for (let i = 0; i < b.length; i++) yield b.subarray(i, i + 1)
}

describe('copy-both framer on split input', () => {
  it.each(FIXTURE_NAMES)('%s: a split at every byte boundary yields the same frames', (name) => {
    const bytes = loadFixture(name)
    const whole = frames([bytes])
    // frame boundaries of the unsplit stream
    const starts: number[] = []
    for (let at = 0; at < bytes.length; at += 1 + bytes.readUInt32BE(at + 1)) starts.push(at)
    starts.push(bytes.length)
    expect(whole).toHaveLength(starts.length - 1)
    for (let f = 0; f < whole.length; f++) {
      const s = starts[f] as number
      const e = starts[Math.min(f + 2, starts.length - 1)] as number
      const expected = whole.slice(f, Math.min(f + 2, whole.length))
      for (let k = s + 1; k < (starts[f + 1] as number); k++) {
        let i = 0
        let same = true
        const framer = new CopyBothFramer({
          frame(code, buffer, start, end) {
            const x = expected[i++]
            if (x === undefined || x.code !== code || x.body.compare(buffer, start, end) !== 0)
              same = false
            return FrameResult.Continue
          },
        })
        framer.push(bytes.subarray(s, k))
        framer.push(bytes.subarray(k, e))
        if (!same || i !== expected.length)
          expect.fail(`${name}: split at byte ${k} (frame ${f}) changed the frames`)
      }
    }
  })

  it.each(FIXTURE_NAMES)('%s: fed one byte at a time, decodes exactly as fed whole', (name) => {
    const bytes = loadFixture(name)
    for (const mode of ['raw', 'spool'] as const) {
      const whole = feed([bytes], mode)
      expect(feed(bytewise(bytes), mode)).toEqual(whole)
    }
  })

  it.each(['v12-p1', 'v14-p2-binary'] as const)(
    '%s: two chunks split at every k decode as whole',
    (name) => {
      const bytes = loadFixture(name)
      const whole = JSON.stringify(feed([bytes], 'spool'))
      for (let k = 1; k < bytes.length; k++) {
        const got = JSON.stringify(feed([bytes.subarray(0, k), bytes.subarray(k)], 'spool'))
        if (got !== whole) expect.fail(`${name}: split at ${k} decoded differently`)
      }
    },
  )

  it('pauses after a frame, holds the rest of the chunk, and resumes where it stopped', () => {
    const bytes = loadFixture('v12-p1')
    const seen: number[] = []
    let pauseNext = true
    const framer = new CopyBothFramer({
      frame(code) {
        seen.push(code)
        if (pauseNext) {
          pauseNext = false
          return FrameResult.Pause
        }
        return FrameResult.Continue
      },
    })
    expect(framer.push(bytes)).toBe(false)
    expect(framer.paused).toBe(true)
    expect(seen).toHaveLength(1)
    expect(() => framer.push(Buffer.alloc(1))).toThrow(/while paused/)
    expect(framer.resume()).toBe(true)
    expect(framer.paused).toBe(false)
    expect(seen).toEqual(frames([bytes]).map((f) => f.code))
  })

  it('on detach hands back the raw bytes from the detaching frame on, including later chunks', () => {
    const bytes = loadFixture('v12-p1')
    const whole = frames([bytes])
    const lastCopyData = whole.map((f) => f.code).lastIndexOf(0x64)
    let n = 0
    const framer = new CopyBothFramer({
      frame: () => (n++ === lastCopyData + 1 ? FrameResult.Detach : FrameResult.Continue),
    })
    const cut = bytes.length - 7 // inside the tail (CopyDone, CommandComplete, ReadyForQuery)
    framer.push(bytes.subarray(0, cut))
    framer.push(bytes.subarray(cut))
    expect(framer.detached).toBe(true)
    const rest = framer.takeRest()
    // the rest is the tail of the stream: CopyDone 'c' first, ReadyForQuery 'Z' last
    expect(rest[0]).toBe(0x63)
    expect(bytes.subarray(bytes.length - rest.length).equals(rest)).toBe(true)
    expect(rest[rest.length - 6]).toBe(0x5a)
  })
})
