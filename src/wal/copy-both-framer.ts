/**
 * Splits the bytes a server sends after START_REPLICATION into backend protocol messages
 * (`code`, int32 length including itself, body), whatever the chunking of the socket: a frame that
 * arrives whole inside a chunk is handed out in place (no copy); only a frame that straddles chunks
 * is assembled into a buffer of its own. The sink can ask to stop after any frame; the framer then
 * keeps the rest of the current chunk (at most one socket read) until `resume()`, which is how the
 * transport pauses the socket instead of queueing.
 */

/** Backend message codes seen in the copy-both phase (PostgreSQL protocol "Message Formats"). */
export const enum BackendCode {
  CopyBothResponse = 0x57, // 'W'
  CopyData = 0x64, // 'd'
  CopyDone = 0x63, // 'c'
  CommandComplete = 0x43, // 'C'
  ReadyForQuery = 0x5a, // 'Z'
  ErrorResponse = 0x45, // 'E'
  NoticeResponse = 0x4e, // 'N'
  ParameterStatus = 0x53, // 'S'
  RowDescription = 0x54, // 'T'
  DataRow = 0x44, // 'D'
}

/** What a sink answers for each frame. */
export const enum FrameResult {
  /** Keep going. */
  Continue = 0,
  /** Stop after this frame and hold the rest until `resume()` (the consumer is busy). */
  Pause = 1,
  /** Stop for good; `takeRest()` returns the unread bytes from this frame's first byte on. */
  Detach = 2,
}

export interface FrameSink {
  /**
   * One whole backend message: its code, and its body in `buffer[start, end)` (the 5-byte header is
   * at `start - 5`). The bytes are valid only during the call.
   */
  frame(code: number, buffer: Buffer, start: number, end: number): FrameResult
}

const HEADER = 5

export class CopyBothFramer {
  readonly #sink: FrameSink
  /** Bytes of a frame header cut by a chunk boundary. */
  readonly #header = Buffer.alloc(HEADER)
  #headerFilled = 0
  /** A frame straddling chunks, being assembled (header included). */
  #partial: Buffer | null = null
  #partialFilled = 0
  /** The unprocessed tail of a chunk, after a Pause. */
  #held: Buffer | null = null
  #heldOffset = 0
  /** After Detach: the raw bytes from the detaching frame on. */
  #rest: Buffer | null = null
  #detached = false

  constructor(sink: FrameSink) {
    this.#sink = sink
  }

  /** True while the sink has paused and bytes are held. */
  get paused(): boolean {
    return this.#held !== null
  }

  get detached(): boolean {
    return this.#detached
  }

  /**
   * Feed one chunk. Returns true when it was consumed whole, false when the sink paused (call
   * `resume()` later) or detached. Must not be called while paused.
   */
  push(chunk: Buffer): boolean {
    if (this.#detached) {
      this.#rest = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk])
      return false
    }
    if (this.#held !== null) throw new Error('CopyBothFramer.push while paused')
    return this.#run(chunk, 0)
  }

  /** Continue with the held bytes after a Pause. Returns true when they were all consumed. */
  resume(): boolean {
    const held = this.#held
    if (held === null || this.#detached) return !this.#detached
    this.#held = null
    return this.#run(held, this.#heldOffset)
  }

  /** After a Detach: the bytes not handed out, starting with the detaching frame's header. */
  takeRest(): Buffer {
    const rest = this.#rest ?? Buffer.alloc(0)
    this.#rest = null
    return rest
  }

  #run(chunk: Buffer, offset: number): boolean {
    const length = chunk.length
    let at = offset
    while (at < length) {
      // finish a straddling frame first
      const partial = this.#partial
      if (partial !== null) {
        const n = Math.min(partial.length - this.#partialFilled, length - at)
        chunk.copy(partial, this.#partialFilled, at, at + n)
        this.#partialFilled += n
        at += n
        if (this.#partialFilled < partial.length) return true
        this.#partial = null
        if (this.#emit(partial, 0, partial.length, chunk, at)) return false
        continue
      }
      if (this.#headerFilled > 0 || length - at < HEADER) {
        // a header cut by the chunk boundary: gather its five bytes
        const n = Math.min(HEADER - this.#headerFilled, length - at)
        chunk.copy(this.#header, this.#headerFilled, at, at + n)
        this.#headerFilled += n
        at += n
        if (this.#headerFilled < HEADER) return true
        this.#headerFilled = 0
        const total = 1 + this.#header.readUInt32BE(1)
        const frame = Buffer.allocUnsafe(total)
        this.#header.copy(frame, 0, 0, HEADER)
        this.#partial = frame
        this.#partialFilled = HEADER
        if (total === HEADER) {
          this.#partial = null
          if (this.#emit(frame, 0, total, chunk, at)) return false
        }
        continue
      }
      const total = 1 + chunk.readUInt32BE(at + 1)
      if (total < HEADER) throw new Error(`invalid backend message length ${total - 1}`)
      if (at + total <= length) {
        const start = at
        at += total
        if (this.#emit(chunk, start, start + total, chunk, at)) return false
        continue
      }
      const frame = Buffer.allocUnsafe(total)
      chunk.copy(frame, 0, at, length)
      this.#partial = frame
      this.#partialFilled = length - at
      return true
    }
    return true
  }

  /**
   * Hand out the frame `buffer[start, end)`; `chunk`/`next` is where reading continues. Returns true
   * when the sink stopped the loop.
   */
  #emit(buffer: Buffer, start: number, end: number, chunk: Buffer, next: number): boolean {
    const result = this.#sink.frame(buffer[start] as number, buffer, start + HEADER, end)
    if (result === FrameResult.Continue) return false
    if (result === FrameResult.Detach) {
      this.#detached = true
      const own =
        buffer === chunk
          ? chunk.subarray(start)
          : Buffer.concat([buffer.subarray(start, end), chunk.subarray(next)])
      this.#rest = own
      return true
    }
    if (next < chunk.length) {
      this.#held = chunk
      this.#heldOffset = next
    } else {
      // nothing left to hold, but the caller still waits for resume() before reading on
      this.#held = EMPTY
      this.#heldOffset = 0
    }
    return true
  }
}

const EMPTY = Buffer.alloc(0)
