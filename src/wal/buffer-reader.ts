/**
 * One reusable cursor over a Buffer, in the manner of pg-protocol's BufferReader: pointed at each
 * message with `reset`, reading by offset, handing out `subarray` views (no copies). Every read is
 * bounds-checked against the message end, so a truncated message fails here instead of reading the
 * next message's bytes.
 */

/** Thrown for a read past the end of the current message; the decoder wraps it with a hex dump. */
export class TruncatedMessageError extends Error {
  override readonly name = 'TruncatedMessageError'
}

export class BufferReader {
  buffer: Buffer = Buffer.alloc(0)
  offset = 0
  end = 0

  /** Point the reader at `buffer[start, end)`. */
  reset(buffer: Buffer, start: number, end: number): void {
    this.buffer = buffer
    this.offset = start
    this.end = end
  }

  get remaining(): number {
    return this.end - this.offset
  }

  #need(n: number): number {
    const at = this.offset
    if (at + n > this.end) {
      throw new TruncatedMessageError(
        `message truncated: need ${n} bytes at offset ${at}, have ${this.end - at}`,
      )
    }
    this.offset = at + n
    return at
  }

  uint8(): number {
    return this.buffer[this.#need(1)] as number
  }

  int16(): number {
    return this.buffer.readInt16BE(this.#need(2))
  }

  int32(): number {
    return this.buffer.readInt32BE(this.#need(4))
  }

  /** OIDs and xids are unsigned 32-bit; reading them signed turns OIDs past 2^31 negative. */
  uint32(): number {
    return this.buffer.readUInt32BE(this.#need(4))
  }

  /** An LSN (XLogRecPtr): unsigned 64-bit. */
  uint64(): bigint {
    return this.buffer.readBigUInt64BE(this.#need(8))
  }

  /** A TimestampTz: signed microseconds since 2000-01-01 UTC. */
  int64(): bigint {
    return this.buffer.readBigInt64BE(this.#need(8))
  }

  /** A NUL-terminated string (names: UTF-8 in every encoding pgferry supports for identifiers). */
  cstring(): string {
    const start = this.offset
    const nul = this.buffer.indexOf(0, start)
    if (nul < 0 || nul >= this.end) {
      throw new TruncatedMessageError(`unterminated string at offset ${start}`)
    }
    this.offset = nul + 1
    return this.buffer.toString('utf8', start, nul)
  }

  /** A view of the next `n` bytes: valid only while the underlying buffer is. */
  bytes(n: number): Buffer {
    const at = this.#need(n)
    return this.buffer.subarray(at, at + n)
  }
}
