import { describe, expect, it } from 'vitest'
import { framedCopyTo } from '../../src/fullload/copy-relay.js'

const msg = (code: string, body: Buffer): Buffer => {
  const h = Buffer.alloc(5)
  h.write(code, 0, 'latin1')
  h.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([h, body])
}

/** Feed `wire` to the framed parser in pieces of `step` bytes; what it forwards and hands back. */
function feed(wire: Buffer, step: number) {
  const stream = framedCopyTo('COPY t TO STDOUT')
  const s = stream as unknown as {
    _parse(b: Buffer): boolean | undefined
    _detach(): void
    _cleanup(): void
    _buffer: { push(b: Buffer): void }
    _pgDataHandler: ((b: Buffer) => void) | null
    push(b: Buffer | null): boolean
  }
  const forwarded: Buffer[] = []
  const toPg: Buffer[] = []
  let ended = false
  let detached = false
  s.push = (b) => {
    if (b === null) ended = true
    else forwarded.push(Buffer.from(b))
    return true
  }
  s._pgDataHandler = (b) => toPg.push(Buffer.from(b))
  s._buffer = { push: (b) => toPg.push(Buffer.from(b)) }
  s._detach = () => (detached = true)
  s._cleanup = () => undefined
  for (let i = 0; i < wire.length; i += step) s._parse(wire.subarray(i, i + step))
  return {
    forwarded: Buffer.concat(forwarded),
    toPg: Buffer.concat(toPg),
    ended,
    detached,
    payload: (stream as unknown as { payloadBytes: number }).payloadBytes,
  }
}

describe('framed COPY relay', () => {
  const rows = [Buffer.from('1\tone\n'), Buffer.alloc(300, 7), Buffer.from('3\tthree\n')]
  const data = Buffer.concat(rows.map((r) => msg('d', r)))
  const after = Buffer.concat([msg('C', Buffer.from('COPY 3\0')), msg('Z', Buffer.from('I'))])
  const wire = Buffer.concat([
    msg('H', Buffer.from([0, 0, 1, 0, 0])),
    msg('d', rows[0] as Buffer),
    msg('N', Buffer.from('notice\0')),
    msg('d', rows[1] as Buffer),
    msg('d', rows[2] as Buffer),
    msg('c', Buffer.alloc(0)),
    after,
  ])

  it.each([1, 2, 3, 4, 5, 6, 7, 13, 64, 100_000])(
    'forwards the CopyData messages whole and hands the rest to pg (pieces of %i bytes)',
    (step) => {
      const out = feed(wire, step)
      expect(out.forwarded.equals(data)).toBe(true)
      expect(out.toPg.equals(after)).toBe(true)
      expect(out.ended).toBe(true)
      expect(out.detached).toBe(true)
      expect(out.payload).toBe(rows.reduce((a, r) => a + r.length, 0))
    },
  )

  it('stops at an ErrorResponse and hands it to pg', () => {
    const err = msg('E', Buffer.from('SERROR\0\0'))
    const out = feed(
      Buffer.concat([msg('H', Buffer.alloc(5)), msg('d', rows[0] as Buffer), err]),
      3,
    )
    expect(out.forwarded.equals(msg('d', rows[0] as Buffer))).toBe(true)
    expect(out.toPg.equals(err)).toBe(true)
    expect(out.ended).toBe(false)
    expect(out.detached).toBe(true)
  })
})
