/**
 * One streamed transaction in the spool (stream-spool.ts): its messages copied, each framed by its
 * int32 length, into a few large chunks of memory, and, once it has spilled, its file.
 *
 * Never one Buffer per message (issue 11): a DELETE's message is ~30 bytes, and a Buffer object per
 * message (~100 bytes of V8 heap each, promoted to the old generation since they live until the
 * transaction ends or spills) made 8 MiB of held messages ~40 MB of heap, which stayed as garbage
 * until a full collection: bulk_delete_pk peaked at 241 MB RSS with 125 MB of heap used.
 */

/** Each spooled message is framed by its int32 length. */
export const LENGTH_PREFIX = 4
/**
 * The largest chunk, and a spilled transaction's write batch. The first chunk is FIRST_CHUNK (most
 * streamed transactions are a few blocks of changes), each next one twice the last.
 */
export const CHUNK = 256 * 1024
const FIRST_CHUNK = 1024

/** Where a subtransaction's first message is. */
export interface SubxactMark {
  readonly subXid: number
  readonly count: number
  readonly bytes: number
}

/** One streamed transaction's messages. */
export class SpooledTransaction {
  readonly xid: number
  /**
   * Held in memory: the framed messages, chunk after chunk, `used[i]` bytes of `chunks[i]` filled.
   * Spilled: one chunk, the batch of framed messages not yet written to the file.
   */
  chunks: Buffer[] = []
  used: number[] = []
  /** Framed size of every message so far (the spill file's length once spilled and flushed). */
  bytes = 0
  count = 0
  marks: SubxactMark[] = []
  file: string | undefined
  fd = -1
  /** Bytes already written to the spill file. */
  fileBytes = 0

  constructor(xid: number) {
    this.xid = xid
  }

  /** Held in memory: copy `buffer[start, end)` after the last message. */
  hold(buffer: Buffer, start: number, end: number): void {
    const framed = LENGTH_PREFIX + end - start
    let last = this.chunks.length - 1
    if (last < 0 || (this.used[last] as number) + framed > (this.chunks[last] as Buffer).length) {
      const size =
        last < 0 ? FIRST_CHUNK : Math.min(CHUNK, (this.chunks[last] as Buffer).length * 2)
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(size, framed)))
      this.used.push(0)
      last++
    }
    this.copyFramed(last, buffer, start, end)
  }

  /** Copy `buffer[start, end)` with its length in front into chunk `i`, after its data. */
  copyFramed(i: number, buffer: Buffer, start: number, end: number): void {
    const chunk = this.chunks[i] as Buffer
    const at = this.used[i] as number
    chunk.writeUInt32BE(end - start, at)
    buffer.copy(chunk, at + LENGTH_PREFIX, start, end)
    this.used[i] = at + LENGTH_PREFIX + end - start
  }

  /** Held in memory: keep the first `bytes` of the framed messages only. */
  cut(bytes: number): void {
    let left = bytes
    let i = 0
    while (i < this.chunks.length && left > (this.used[i] as number))
      left -= this.used[i++] as number
    this.chunks.length = Math.min(this.chunks.length, i + 1)
    this.used.length = this.chunks.length
    if (i < this.used.length) this.used[i] = left
  }

  /** Held in memory: the messages in order, each a view of its chunk. */
  *held(): Generator<Buffer, void, undefined> {
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as Buffer
      const used = this.used[i] as number
      for (let at = 0; at < used;) {
        const size = chunk.readUInt32BE(at)
        yield chunk.subarray(at + LENGTH_PREFIX, at + LENGTH_PREFIX + size)
        at += LENGTH_PREFIX + size
      }
    }
  }
}
