/**
 * A framed COPY relay: the source's CopyData messages are forwarded to the target as they are.
 *
 * A CopyData message has the same layout in both directions (`'d'`, Int32 length, payload), and
 * COPY FROM does not care where message boundaries fall. pg-copy-streams' `to` strips every
 * message header (one per row: a slice and a concatenation per row) and its `from` wraps every
 * chunk in a new header; on a 2-core machine that per-row JavaScript work competed with both
 * servers for the CPU. Here the source side only walks the 5-byte headers and passes byte ranges
 * of the socket's buffers through untouched (`subarray`, no copy); the target side writes them as
 * they come. Backpressure, error interception and the end of the COPY are pg-copy-streams' own.
 */
import pgCopy from 'pg-copy-streams'

const COPY_DATA = 0x64 // 'd'
const COPY_DONE = 0x63 // 'c'
const ERROR_RESPONSE = 0x45 // 'E'

/** The parts of pg-copy-streams' CopyToQuery this module relies on. */
interface CopyToInternals {
  _buffer: { push(b: Buffer): void }
  _pgDataHandler: ((b: Buffer) => void) | null
  _detach(): void
  _cleanup(): void
  push(chunk: Buffer | null): boolean
  _parse(chunk: Buffer): boolean | undefined
}

/** The parts of pg-copy-streams' CopyFromQuery this module relies on. */
interface CopyFromInternals {
  connection: { stream: { write(b: Buffer): boolean } }
  flushChunk(chunk: Buffer): boolean
}

/** A COPY … TO STDOUT stream whose chunks are whole runs of CopyData messages, headers included. */
export type FramedCopyOut = ReturnType<typeof pgCopy.to> & {
  /** Payload bytes so far (the rows' bytes, without message headers). */
  readonly payloadBytes: number
}

/** `COPY … TO STDOUT` as framed CopyData messages (see the module comment). */
export function framedCopyTo(sql: string): FramedCopyOut {
  const stream = pgCopy.to(sql)
  const s = stream as unknown as CopyToInternals & { payloadBytes: number }
  s.payloadBytes = 0
  let carry: Buffer | undefined // a message header split across socket reads
  let remaining = 0 // body bytes of the current message still to come
  let forwarding = false // the current message is CopyData
  let afterCopy: ((b: Buffer) => void) | null = null // pg's own reader, once the COPY ended
  s._parse = (input: Buffer): boolean | undefined => {
    if (afterCopy !== null) {
      afterCopy(input)
      return true
    }
    const chunk = carry === undefined ? input : Buffer.concat([carry, input])
    carry = undefined
    const out: Buffer[] = []
    // start of the current run of CopyData bytes in `chunk` (a message body may continue here)
    let runStart = remaining > 0 && forwarding ? 0 : -1
    let pos = 0
    const flushRun = (end: number): void => {
      if (runStart >= 0 && end > runStart) out.push(chunk.subarray(runStart, end))
      runStart = -1
    }
    while (pos < chunk.length) {
      if (remaining > 0) {
        const n = Math.min(remaining, chunk.length - pos)
        if (forwarding) s.payloadBytes += n
        pos += n
        remaining -= n
        continue
      }
      if (chunk.length - pos < 5) {
        flushRun(pos)
        carry = Buffer.from(chunk.subarray(pos))
        pos = chunk.length
        break
      }
      const code = chunk[pos] as number
      if (code === COPY_DATA) {
        if (runStart < 0) runStart = pos
        forwarding = true
        remaining = chunk.readUInt32BE(pos + 1) - 4
        pos += 5
        continue
      }
      flushRun(pos)
      forwarding = false
      if (code === ERROR_RESPONSE || code === COPY_DONE) {
        // Hand pg what follows (the error, or CommandComplete + ReadyForQuery), as pg-copy-streams does.
        const rest = code === COPY_DONE ? pos + 5 : pos
        afterCopy = s._pgDataHandler
        for (const b of out) s.push(b)
        if (rest < chunk.length) s._buffer.push(chunk.subarray(rest))
        s._detach()
        if (code === COPY_DONE) {
          s.push(null)
          s._cleanup()
          return true
        }
        return undefined
      }
      // CopyOutResponse, ParameterStatus, NoticeResponse, NotificationResponse: not data
      remaining = chunk.readUInt32BE(pos + 1) - 4
      pos += 5
    }
    flushRun(pos)
    let drained = true
    for (const b of out) drained = s.push(b)
    return drained
  }
  return stream as FramedCopyOut
}

/** `COPY … FROM STDIN` that takes chunks already framed as CopyData messages. */
export function framedCopyFrom(sql: string): ReturnType<typeof pgCopy.from> {
  const stream = pgCopy.from(sql)
  const s = stream as unknown as CopyFromInternals
  s.flushChunk = (chunk: Buffer): boolean => s.connection.stream.write(chunk)
  return stream
}
