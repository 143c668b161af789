/**
 * Holding area for streamed (in-progress) transactions. With `streaming` on, the server sends a
 * large transaction in blocks before it commits; nothing of it may be applied until Stream Commit,
 * and it may still abort whole or lose subtransactions. Each transaction's raw pgoutput messages are
 * kept in memory (framed, in a few large chunks) until the spool as a whole passes its memory
 * limit, then the largest transaction moves to a file and grows there through one write batch.
 *
 * A subtransaction abort discards from the subtransaction's first change on, the rule of
 * PostgreSQL's own apply worker (worker.c, subxact_info_add): a subtransaction's changes are
 * contiguous from its first change to its abort, nested ones included, because the server streams
 * only what it has decoded and decodes the abort record before anything that follows it.
 */
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PgferryError, messageOf } from '../errors.js'
import {
  CHUNK,
  LENGTH_PREFIX,
  SpooledTransaction,
  type SubxactMark,
} from './spooled-transaction.js'

/**
 * Defaults to 8 MiB. At 64 MiB a 1M-row transaction's messages (~100 bytes each) filled the spool
 * first, and Node's RSS peaked at 376 MB (issue 11: budget 200 MB); at 8 MiB, 195 MB. Past the limit
 * a transaction spills to its file at sequential-write speed.
 */
export const DEFAULT_SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024
/** Spill files are read back through one buffer of this size (larger only for a larger message). */
const READ_CHUNK = 1024 * 1024
/** @public */
export interface StreamSpoolOptions {
  /** Bytes held in memory across all open transactions before spilling to disk. Defaults to 8 MiB. */
  readonly memoryLimit?: number
  /** Where spill files go. Defaults to the OS temporary directory. */
  readonly directory?: string
}

/** Spooled streamed transactions, by top-level xid. @public */
export class StreamSpool {
  readonly #memoryLimit: number
  readonly #directory: string
  #dir: string | undefined
  readonly #open = new Map<number, SpooledTransaction>()
  #memoryBytes = 0

  constructor(options: StreamSpoolOptions = {}) {
    this.#memoryLimit = options.memoryLimit ?? DEFAULT_SPOOL_MEMORY_LIMIT
    this.#directory = options.directory ?? tmpdir()
  }

  /** Bytes held in memory now. */
  get memoryBytes(): number {
    return this.#memoryBytes
  }

  /** Open transactions. */
  get size(): number {
    return this.#open.size
  }

  /** Whether a transaction has spilled to disk (for tests and metrics). */
  isSpilled(xid: number): boolean {
    return this.#open.get(xid)?.file !== undefined
  }

  /** Messages held for a transaction. */
  count(xid: number): number {
    return this.#open.get(xid)?.count ?? 0
  }

  /**
   * Keep a copy of `buffer[start, end)`, a message of top-level transaction `xid` made by
   * (sub)transaction `subXid`.
   */
  append(xid: number, subXid: number, buffer: Buffer, start: number, end: number): void {
    let txn = this.#open.get(xid)
    if (txn === undefined) {
      txn = new SpooledTransaction(xid)
      this.#open.set(xid, txn)
    }
    if (subXid !== xid && !txn.marks.some((m) => m.subXid === subXid)) {
      txn.marks.push({ subXid, count: txn.count, bytes: txn.bytes })
    }
    // the input is a view of a socket chunk: keep our own copy (bytes retained past the callback)
    const framed = LENGTH_PREFIX + end - start
    txn.count++
    txn.bytes += framed
    if (txn.file === undefined) {
      txn.hold(buffer, start, end)
      this.#memoryBytes += framed
      if (this.#memoryBytes > this.#memoryLimit) this.#spill(this.#largest())
    } else {
      this.#write(txn, buffer, start, end)
    }
  }

  /** Discard a whole transaction (`subXid === xid`) or a subtransaction and what followed it. */
  abort(xid: number, subXid: number): void {
    const txn = this.#open.get(xid)
    if (txn === undefined) return
    if (subXid === xid) {
      this.#drop(txn)
      return
    }
    const at = txn.marks.findIndex((m) => m.subXid === subXid)
    if (at < 0) return // the subtransaction made no change we saw
    const mark = txn.marks[at] as SubxactMark
    txn.marks.length = at
    if (txn.file === undefined) {
      this.#memoryBytes -= txn.bytes - mark.bytes
      txn.cut(mark.bytes)
    } else {
      this.#flush(txn)
      this.#io(() => ftruncateSync(txn.fd, mark.bytes), txn)
      txn.fileBytes = mark.bytes
    }
    txn.count = mark.count
    txn.bytes = mark.bytes
  }

  /**
   * Hand back a committed transaction's messages in order, then forget it. Each yielded Buffer is
   * one pgoutput message (with its xid prefix), valid until the next one is requested.
   */
  *release(xid: number): Generator<Buffer, void, undefined> {
    const txn = this.#open.get(xid)
    if (txn === undefined) return
    try {
      if (txn.file === undefined) {
        for (let i = 0; i < txn.chunks.length; i++) {
          const chunk = txn.chunks[i] as Buffer
          const used = txn.used[i] as number
          for (let at = 0; at < used;) {
            const size = chunk.readUInt32BE(at)
            yield chunk.subarray(at + LENGTH_PREFIX, at + LENGTH_PREFIX + size)
            at += LENGTH_PREFIX + size
          }
        }
        return
      }
      this.#flush(txn)
      yield* this.#readBack(txn)
    } finally {
      this.#drop(txn)
    }
  }

  /** Forget everything (the stream stopped; the server resends open transactions on restart). */
  close(): void {
    for (const txn of [...this.#open.values()]) this.#drop(txn)
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true })
    this.#dir = undefined
  }

  /**
   * A spilled transaction's messages, read through one buffer: a message yielded before is no
   * longer valid once the next is asked for, so the next read may overwrite it.
   */
  *#readBack(txn: SpooledTransaction): Generator<Buffer, void, undefined> {
    let chunk = Buffer.allocUnsafeSlow(READ_CHUNK)
    let position = 0
    let filled = 0
    let at = 0
    while (position < txn.bytes || at < filled) {
      const left = filled - at
      const need = left >= LENGTH_PREFIX ? LENGTH_PREFIX + chunk.readUInt32BE(at) : LENGTH_PREFIX
      if (left < need) {
        // move the partial message to the front and read more behind it
        if (need > chunk.length) {
          const larger = Buffer.allocUnsafeSlow(need)
          chunk.copy(larger, 0, at, filled)
          chunk = larger
        } else {
          chunk.copyWithin(0, at, filled)
        }
        filled = left
        at = 0
        const into = chunk
        const n = this.#io(
          () => readSync(txn.fd, into, filled, into.length - filled, position),
          txn,
        )
        if (n === 0) throw new Error(`spill file of transaction ${txn.xid} ended early`)
        position += n
        filled += n
        continue
      }
      yield chunk.subarray(at + LENGTH_PREFIX, at + need)
      at += need
    }
  }

  #largest(): SpooledTransaction {
    let best: SpooledTransaction | undefined
    for (const txn of this.#open.values()) {
      if (txn.file === undefined && (best === undefined || txn.bytes > best.bytes)) best = txn
    }
    return best as SpooledTransaction
  }

  #spill(txn: SpooledTransaction): void {
    this.#dir ??= this.#io(() => mkdtempSync(path.join(this.#directory, 'pgferry-spool-')), txn)
    const file = path.join(this.#dir, `xid-${txn.xid}`)
    txn.fd = this.#io(() => openSync(file, 'w+', 0o600), txn)
    txn.file = file
    this.#memoryBytes -= txn.bytes
    const { chunks, used } = txn
    txn.chunks = []
    txn.used = []
    for (let i = 0; i < chunks.length; i++)
      this.#writeAt(txn, (chunks[i] as Buffer).subarray(0, used[i]))
  }

  /** A message of a spilled transaction: into its batch, written out when the batch is full. */
  #write(txn: SpooledTransaction, buffer: Buffer, start: number, end: number): void {
    const framed = LENGTH_PREFIX + end - start
    if (framed > CHUNK) {
      // larger than a batch: the batch, then the message's length and bytes straight from the input
      this.#flush(txn)
      const prefix = Buffer.allocUnsafe(LENGTH_PREFIX)
      prefix.writeUInt32BE(end - start, 0)
      this.#writeAt(txn, prefix)
      this.#writeAt(txn, buffer.subarray(start, end))
      return
    }
    if (txn.chunks.length === 0) {
      txn.chunks.push(Buffer.allocUnsafeSlow(CHUNK))
      txn.used.push(0)
    } else if ((txn.used[0] as number) + framed > CHUNK) {
      this.#flush(txn)
    }
    txn.copyFramed(0, buffer, start, end)
  }

  /** Write a spilled transaction's batch to its file; the batch's buffer is used again. */
  #flush(txn: SpooledTransaction): void {
    const used = txn.used[0]
    if (used === undefined || used === 0) return
    this.#writeAt(txn, (txn.chunks[0] as Buffer).subarray(0, used))
    txn.used[0] = 0
  }

  /** Append `data` to the transaction's spill file. */
  #writeAt(txn: SpooledTransaction, data: Buffer): void {
    const at = txn.fileBytes
    txn.fileBytes += data.length
    this.#io(() => {
      let written = 0
      while (written < data.length)
        written += writeSync(txn.fd, data, written, data.length - written, at + written)
    }, txn)
  }

  #drop(txn: SpooledTransaction): void {
    if (!this.#open.delete(txn.xid)) return
    if (txn.file === undefined) this.#memoryBytes -= txn.bytes
    txn.chunks = []
    txn.used = []
    if (txn.fd >= 0) {
      closeSync(txn.fd)
      txn.fd = -1
    }
    if (txn.file !== undefined) rmSync(txn.file, { force: true })
  }

  #io<T>(op: () => T, txn: SpooledTransaction): T {
    try {
      return op()
    } catch (error) {
      throw new PgferryError(
        'PGFERRY_WAL_SPOOL_FAILED',
        `spooling streamed transaction ${txn.xid} to ${this.#directory} failed: ${messageOf(error)}`,
        {
          cause: error,
          fix: 'free disk space in the spool directory or raise the spool memory limit',
        },
      )
    }
  }
}
