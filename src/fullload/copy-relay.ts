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

/**
 * Where the relay hands its byte ranges instead of pushing them (direct-relay.ts): `write` gets
 * each run of CopyData messages, `end` the bytes after the COPY (copied: the input is a reused
 * buffer) and what pg-copy-streams would have done at that point, to run once the runs are written.
 */
export interface RelaySink {
  write(run: Buffer): void
  end(finish: () => void): void
}

/** `COPY … TO STDOUT` as framed CopyData messages (see the module comment). */
export function framedCopyTo(sql: string, sink?: RelaySink): FramedCopyOut {
  const stream = pgCopy.to(sql)
  const s = stream as unknown as CopyToInternals & { payloadBytes: number }
  s.payloadBytes = 0
  s._parse = framedParser(s, sink)
  return stream as FramedCopyOut
}

/**
 * The `_parse` of a framed stream. One iteration per message (one per row): the body is skipped in
 * the same step as its header, the length is read byte by byte, and the byte count stays in a local
 * until a push (a 'data' listener may read payloadBytes during it) instead of a store on the stream
 * object per row. 2M rows of 100 bytes in 64 KB pieces: 95 → 60 ms.
 */
function framedParser(
  s: CopyToInternals & { payloadBytes: number },
  sink: RelaySink | undefined,
): (input: Buffer) => boolean | undefined {
  let carry: Buffer | undefined // a message header split across socket reads
  let remaining = 0 // body bytes of the current message still to come
  let forwarding = false // the current message is CopyData
  let afterCopy: ((b: Buffer) => void) | null = null // pg's own reader, once the COPY ended
  return (input: Buffer): boolean | undefined => {
    if (afterCopy !== null) {
      afterCopy(input)
      return true
    }
    const chunk = carry === undefined ? input : Buffer.concat([carry, input])
    carry = undefined
    const len = chunk.length
    let pos = 0
    let runStart = -1 // start of the current run of CopyData bytes in `chunk`
    let payload = 0
    let drained = true
    if (remaining > 0) {
      pos = remaining < len ? remaining : len
      remaining -= pos
      if (forwarding) {
        runStart = 0
        payload = pos
      }
    }
    while (pos < len) {
      if (len - pos < 5) {
        carry = Buffer.from(chunk.subarray(pos))
        break
      }
      const code = chunk[pos] as number
      // Int32 (no heap number per row): a message is at most 1 GB (the server's MaxAllocSize).
      const end =
        pos +
        1 +
        (((chunk[pos + 1] as number) << 24) |
          ((chunk[pos + 2] as number) << 16) |
          ((chunk[pos + 3] as number) << 8) |
          (chunk[pos + 4] as number))
      if (code === COPY_DATA) {
        if (runStart < 0) runStart = pos
        if (end > len) {
          payload += len - pos - 5
          remaining = end - len
          forwarding = true
          pos = len
          break
        }
        payload += end - pos - 5
        pos = end
        continue
      }
      forwarding = false
      s.payloadBytes += payload
      payload = 0
      if (runStart >= 0) {
        drained = forward(s, sink, chunk.subarray(runStart, pos))
        runStart = -1
      }
      if (code === ERROR_RESPONSE || code === COPY_DONE) {
        afterCopy = s._pgDataHandler
        return endCopy(s, sink, chunk, code === COPY_DONE ? pos + 5 : pos, code === COPY_DONE)
      }
      // CopyOutResponse, ParameterStatus, NoticeResponse, NotificationResponse: not data
      if (end > len) {
        remaining = end - len
        pos = len
        break
      }
      pos = end
    }
    s.payloadBytes += payload
    if (runStart >= 0 && pos > runStart) drained = forward(s, sink, chunk.subarray(runStart, pos))
    return drained
  }
}

/** Hand a run of CopyData messages on; false when the stream asks to pause. */
function forward(s: CopyToInternals, sink: RelaySink | undefined, run: Buffer): boolean {
  if (sink === undefined) return s.push(run)
  sink.write(run)
  return true
}

/**
 * CopyDone or an ErrorResponse at `rest` (CopyDone's 5 bytes already skipped): hand pg what
 * follows (the error, or CommandComplete + ReadyForQuery), as pg-copy-streams does.
 */
function endCopy(
  s: CopyToInternals,
  sink: RelaySink | undefined,
  chunk: Buffer,
  rest: number,
  done: boolean,
): true | undefined {
  if (sink === undefined)
    return finishCopy(s, rest < chunk.length ? chunk.subarray(rest) : undefined, done)
  const tail = rest < chunk.length ? Buffer.from(chunk.subarray(rest)) : undefined
  sink.end(() => finishCopy(s, tail, done))
  return done ? true : undefined
}

/** The end of the COPY as pg-copy-streams does it: pg gets the rest; the stream ends or errors. */
function finishCopy(s: CopyToInternals, rest: Buffer | undefined, done: boolean): true | undefined {
  if (rest !== undefined) s._buffer.push(rest)
  s._detach()
  if (!done) return undefined
  s.push(null)
  s._cleanup()
  return true
}

/** `COPY … FROM STDIN` that takes chunks already framed as CopyData messages. */
export function framedCopyFrom(sql: string): ReturnType<typeof pgCopy.from> {
  const stream = pgCopy.from(sql)
  const s = stream as unknown as CopyFromInternals
  s.flushChunk = (chunk: Buffer): boolean => s.connection.stream.write(chunk)
  return stream
}
