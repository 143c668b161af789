/**
 * Holding area for streamed (in-progress) transactions. With `streaming` on, the server sends a
 * large transaction in blocks before it commits; nothing of it may be applied until Stream Commit,
 * and it may still abort whole or lose subtransactions. Each transaction's raw pgoutput messages are
 * kept in memory until the spool as a whole passes its memory limit, then that transaction moves to
 * a file and grows there.
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

/**
 * Defaults to 8 MiB. Messages are held one Buffer each, and a row change is ~100 bytes: at 64 MiB a
 * 1M-row transaction kept ~650k Buffers, and Node's RSS peaked at 376 MB (issue 11: budget 200 MB);
 * at 8 MiB, 195 MB. Past the limit a transaction spills to its file at sequential-write speed.
 */
export const DEFAULT_SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024
/** Writes to the spill file are batched to this size; one sync write of it takes well under 1 ms. */
const WRITE_BATCH = 256 * 1024
/** Spill files are read back in chunks of this size. */
const READ_CHUNK = 1024 * 1024
/** Each spooled message is framed by its int32 length. */
const LENGTH_PREFIX = 4

/** @public */
export interface StreamSpoolOptions {
  /** Bytes held in memory across all open transactions before spilling to disk. Defaults to 8 MiB. */
  readonly memoryLimit?: number
  /** Where spill files go. Defaults to the OS temporary directory. */
  readonly directory?: string
}

interface SubxactMark {
  readonly subXid: number
  readonly count: number
  readonly bytes: number
}

/** One streamed transaction's messages. */
class SpooledTransaction {
  readonly xid: number
  memory: Buffer[] = []
  /** Framed size of every message so far (the spill file's length once spilled). */
  bytes = 0
  count = 0
  marks: SubxactMark[] = []
  file: string | undefined
  fd = -1
  /** Bytes already written to the spill file. */
  fileBytes = 0
  batch: Buffer[] = []
  batchBytes = 0

  constructor(xid: number) {
    this.xid = xid
  }
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
    const size = end - start
    // the input is a view of a socket chunk: keep our own copy (bytes retained past the callback)
    const copy = Buffer.allocUnsafe(LENGTH_PREFIX + size)
    copy.writeUInt32BE(size, 0)
    buffer.copy(copy, LENGTH_PREFIX, start, end)
    txn.count++
    txn.bytes += copy.length
    if (txn.file === undefined) {
      txn.memory.push(copy)
      this.#memoryBytes += copy.length
      if (this.#memoryBytes > this.#memoryLimit) this.#spill(this.#largest())
    } else {
      this.#write(txn, copy)
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
      for (let i = mark.count; i < txn.memory.length; i++)
        this.#memoryBytes -= (txn.memory[i] as Buffer).length
      txn.memory.length = mark.count
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
        for (let i = 0; i < txn.memory.length; i++)
          yield (txn.memory[i] as Buffer).subarray(LENGTH_PREFIX)
        return
      }
      this.#flush(txn)
      let chunk = Buffer.allocUnsafe(READ_CHUNK)
      let position = 0
      let filled = 0
      let at = 0
      while (position < txn.bytes || at < filled) {
        if (filled - at < LENGTH_PREFIX || filled - at < LENGTH_PREFIX + chunk.readUInt32BE(at)) {
          // move the partial message to the front and read more behind it
          const need =
            filled - at >= LENGTH_PREFIX ? LENGTH_PREFIX + chunk.readUInt32BE(at) : READ_CHUNK
          const next = Buffer.allocUnsafe(Math.max(READ_CHUNK, need))
          chunk.copy(next, 0, at, filled)
          filled -= at
          at = 0
          chunk = next
          const n = this.#io(
            () => readSync(txn.fd, chunk, filled, chunk.length - filled, position),
            txn,
          )
          if (n === 0) throw new Error(`spill file of transaction ${xid} ended early`)
          position += n
          filled += n
          continue
        }
        const size = chunk.readUInt32BE(at)
        yield chunk.subarray(at + LENGTH_PREFIX, at + LENGTH_PREFIX + size)
        at += LENGTH_PREFIX + size
      }
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
    const held = txn.memory
    txn.memory = []
    for (const b of held) {
      this.#memoryBytes -= b.length
      this.#write(txn, b)
    }
  }

  #write(txn: SpooledTransaction, framed: Buffer): void {
    txn.batch.push(framed)
    txn.batchBytes += framed.length
    if (txn.batchBytes >= WRITE_BATCH) this.#flush(txn)
  }

  #flush(txn: SpooledTransaction): void {
    if (txn.batchBytes === 0) return
    const data =
      txn.batch.length === 1 ? (txn.batch[0] as Buffer) : Buffer.concat(txn.batch, txn.batchBytes)
    txn.batch = []
    txn.batchBytes = 0
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
    for (const b of txn.memory) this.#memoryBytes -= b.length
    txn.memory = []
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
