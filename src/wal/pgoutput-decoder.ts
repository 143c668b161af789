/**
 * Decoder of pgoutput messages, protocol versions 1–4 (src/backend/replication/logical/proto.c).
 *
 * One reused {@link BufferReader} walks each message by offset; column values are `subarray` views
 * of the input, so a message's Buffers are valid only as long as the caller keeps the input.
 * Relations are kept in a {@link RelationCache}; inside a streamed block (v2+) the server sends the
 * schema again for that transaction (pgoutput tracks "schema sent" per streamed xid), so those
 * Relation messages go to a cache of the streamed transaction and never replace the main one.
 */
import { PgferryError } from '../errors.js'
import { BufferReader, TruncatedMessageError } from './buffer-reader.js'
import {
  MessageType,
  type PgoutputMessage,
  type RelationColumn,
  type RelationMessage,
  type ReplicaIdentity,
  type TupleData,
} from './pgoutput-messages.js'
import { RelationCache } from './relation-cache.js'
import { readTuple } from './tuple-reader.js'
import { readTwoPhase } from './two-phase-reader.js'

/** At most this many bytes of a bad message go into an error's hex dump. */
const HEX_DUMP_LIMIT = 256

/** Truncate flags (proto.c: TRUNCATE_CASCADE, TRUNCATE_RESTART_SEQS). */
const TRUNCATE_CASCADE = 1
const TRUNCATE_RESTART_SEQS = 2

/** Relation column flag bit 1: part of the replica identity key. */
const COLUMN_FLAG_KEY = 1

/**
 * Decodes one pgoutput message in place (protocol versions 1–4); see the file comment.
 * @public
 */
export class PgoutputDecoder {
  /** Relations of the main (non-streamed) change stream. */
  readonly relations = new RelationCache()
  readonly #streamRelations = new Map<number, RelationCache>()
  readonly #reader = new BufferReader()
  #streamXid: number | undefined = undefined

  /** The top-level xid of the streamed block being read (between Stream Start and Stream Stop). */
  get streamXid(): number | undefined {
    return this.#streamXid
  }

  /**
   * Read the following messages as the inside of a streamed block of `xid`: for replaying spooled
   * messages of a streamed transaction (they carry the xid prefix) with a decoder of their own.
   */
  enterStream(xid: number): void {
    this.#streamXid = xid
  }

  /**
   * The streamed transaction `xid` committed (or was prepared): the schemas sent inside it become
   * the main ones. pgoutput marks them sent for the whole session at that point
   * (cleanup_rel_sync_cache with is_commit) and will not send them again, so they must not be lost.
   */
  adoptStream(xid: number, from: PgoutputDecoder = this): void {
    const cache = from.#streamRelations.get(xid)
    if (cache !== undefined) for (const relation of cache.values()) this.relations.set(relation)
    from.#streamRelations.delete(xid)
  }

  /**
   * Decode the pgoutput message in `buffer[start, end)`. Throws `PGFERRY_WAL_UNKNOWN_MESSAGE` for a
   * type byte this decoder does not know and `PGFERRY_WAL_PROTOCOL` for a malformed message, both
   * with a hex dump of the message.
   */
  decode(buffer: Buffer, start = 0, end = buffer.length): PgoutputMessage {
    const r = this.#reader
    r.reset(buffer, start, end)
    try {
      return this.#decode(r)
    } catch (error) {
      if (error instanceof PgferryError) throw error
      throw new PgferryError(
        'PGFERRY_WAL_PROTOCOL',
        `malformed pgoutput message: ${error instanceof Error ? error.message : String(error)}; ${hexDump(buffer, start, end)}`,
        { cause: error },
      )
    }
  }

  // The switch keeps the per-row messages (Insert, Update, Delete) one call away; the rest of the
  // protocol is grouped by what it belongs to (streaming, two-phase).
  #decode(r: BufferReader): PgoutputMessage {
    const type = r.uint8()
    switch (type) {
      case MessageType.Begin:
        return { type, finalLsn: r.uint64(), commitTime: r.int64(), xid: r.uint32() }
      case MessageType.Commit:
        return {
          type,
          flags: r.uint8(),
          commitLsn: r.uint64(),
          endLsn: r.uint64(),
          commitTime: r.int64(),
        }
      case MessageType.Insert: {
        const xid = this.#xidPrefix(r)
        const relation = this.#lookup(r.uint32())
        const marker = r.uint8()
        if (marker !== 0x4e /* N */) throw this.#badMarker(marker, 'N')
        return { type, xid, relation, newTuple: readTuple(r) }
      }
      case MessageType.Update:
        return this.#update(r)
      case MessageType.Delete: {
        const xid = this.#xidPrefix(r)
        const relation = this.#lookup(r.uint32())
        const marker = r.uint8()
        if (marker !== 0x4b && marker !== 0x4f) throw this.#badMarker(marker, 'K or O')
        return { type, xid, relation, oldKind: marker === 0x4b ? 'K' : 'O', oldTuple: readTuple(r) }
      }
      case MessageType.Relation:
        return this.#relation(r)
      case MessageType.Truncate:
        return this.#truncate(r)
      case MessageType.Origin:
        return { type, originLsn: r.uint64(), name: r.cstring() }
      case MessageType.Type: {
        const xid = this.#xidPrefix(r)
        return { type, xid, typeOid: r.uint32(), schema: r.cstring(), name: r.cstring() }
      }
      case MessageType.Message: {
        const xid = this.#xidPrefix(r)
        const flags = r.uint8()
        const lsn = r.uint64()
        const prefix = r.cstring()
        const content = r.bytes(r.uint32())
        return { type, xid, transactional: (flags & 1) !== 0, lsn, prefix, content }
      }
      case MessageType.StreamStart:
      case MessageType.StreamStop:
      case MessageType.StreamCommit:
      case MessageType.StreamAbort:
        return this.#stream(type, r)
      case MessageType.BeginPrepare:
      case MessageType.Prepare:
      case MessageType.StreamPrepare:
      case MessageType.CommitPrepared:
      case MessageType.RollbackPrepared:
        return readTwoPhase(type, r, (xid) => this.adoptStream(xid))
      default:
        throw new PgferryError(
          'PGFERRY_WAL_UNKNOWN_MESSAGE',
          `unknown pgoutput message type 0x${type.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(type))}); ${hexDump(r.buffer, r.offset - 1, r.end)}`,
          {
            fix: 'the server speaks a newer pgoutput protocol than this pgferry; request an older proto_version',
          },
        )
    }
  }

  #update(r: BufferReader): PgoutputMessage {
    const xid = this.#xidPrefix(r)
    const relation = this.#lookup(r.uint32())
    let marker = r.uint8()
    let oldKind: 'K' | 'O' | undefined
    let oldTuple: TupleData | undefined
    if (marker === 0x4b /* K */ || marker === 0x4f /* O */) {
      oldKind = marker === 0x4b ? 'K' : 'O'
      oldTuple = readTuple(r)
      marker = r.uint8()
    }
    if (marker !== 0x4e /* N */) throw this.#badMarker(marker, 'N')
    return { type: MessageType.Update, xid, relation, oldKind, oldTuple, newTuple: readTuple(r) }
  }

  #truncate(r: BufferReader): PgoutputMessage {
    const xid = this.#xidPrefix(r)
    const count = r.uint32()
    const flags = r.uint8()
    const relations: RelationMessage[] = new Array<RelationMessage>(count)
    for (let i = 0; i < count; i++) relations[i] = this.#lookup(r.uint32())
    return {
      type: MessageType.Truncate,
      xid,
      cascade: (flags & TRUNCATE_CASCADE) !== 0,
      restartIdentity: (flags & TRUNCATE_RESTART_SEQS) !== 0,
      relations,
    }
  }

  /** Stream Start / Stop / Commit / Abort (v2+): they move the decoder in and out of a block. */
  #stream(
    type:
      | MessageType.StreamStart
      | MessageType.StreamStop
      | MessageType.StreamCommit
      | MessageType.StreamAbort,
    r: BufferReader,
  ): PgoutputMessage {
    switch (type) {
      case MessageType.StreamStart: {
        const xid = r.uint32()
        const firstSegment = r.uint8() === 1
        this.#streamXid = xid
        return { type, xid, firstSegment }
      }
      case MessageType.StreamStop:
        this.#streamXid = undefined
        return { type }
      case MessageType.StreamCommit: {
        const xid = r.uint32()
        this.adoptStream(xid)
        return {
          type,
          xid,
          flags: r.uint8(),
          commitLsn: r.uint64(),
          endLsn: r.uint64(),
          commitTime: r.int64(),
        }
      }
      case MessageType.StreamAbort: {
        const xid = r.uint32()
        const subXid = r.uint32()
        // an aborted streamed transaction's schemas were never marked sent: drop them
        if (subXid === xid) this.#streamRelations.delete(xid)
        // v4 with streaming 'parallel' appends the abort LSN and time (proto.c write_abort_info);
        // the message length tells whether they are there without tracking the negotiated options.
        if (r.remaining >= 16) {
          return { type, xid, subXid, abortLsn: r.uint64(), abortTime: r.int64() }
        }
        return { type, xid, subXid, abortLsn: undefined, abortTime: undefined }
      }
    }
  }

  /** Inside a streamed block, changes carry the xid of the (sub)transaction that made them. */
  #xidPrefix(r: BufferReader): number | undefined {
    return this.#streamXid === undefined ? undefined : r.uint32()
  }

  #relation(r: BufferReader): RelationMessage {
    const xid = this.#xidPrefix(r)
    const relationOid = r.uint32()
    const schema = r.cstring()
    const name = r.cstring()
    const replicaIdentity = String.fromCharCode(r.uint8()) as ReplicaIdentity
    const count = r.int16()
    const columns: RelationColumn[] = new Array<RelationColumn>(count)
    for (let i = 0; i < count; i++) {
      const flags = r.uint8()
      columns[i] = {
        isKey: (flags & COLUMN_FLAG_KEY) !== 0,
        name: r.cstring(),
        typeOid: r.uint32(),
        typeMod: r.int32(),
      }
    }
    const relation: RelationMessage = {
      type: MessageType.Relation,
      xid,
      relationOid,
      schema,
      name,
      replicaIdentity,
      columns,
    }
    const stream = this.#streamXid
    if (stream === undefined) {
      this.relations.set(relation)
    } else {
      let cache = this.#streamRelations.get(stream)
      if (cache === undefined) {
        cache = new RelationCache()
        this.#streamRelations.set(stream, cache)
      }
      cache.set(relation)
    }
    return relation
  }

  #lookup(oid: number): RelationMessage {
    const stream = this.#streamXid
    const relation =
      (stream === undefined ? undefined : this.#streamRelations.get(stream)?.get(oid)) ??
      this.relations.get(oid)
    if (relation === undefined) {
      // pgoutput always sends a Relation before the first change to it; a miss means bytes were lost
      throw new PgferryError(
        'PGFERRY_WAL_PROTOCOL',
        `change for relation OID ${oid} before its Relation message`,
      )
    }
    return relation
  }

  #badMarker(marker: number, expected: string): Error {
    return new TruncatedMessageError(
      `unexpected tuple marker 0x${marker.toString(16)} (${JSON.stringify(String.fromCharCode(marker))}), expected ${expected}`,
    )
  }
}

/** `hex: 42 00 00 …` of at most HEX_DUMP_LIMIT bytes of `buffer[start, end)`. */
export function hexDump(buffer: Buffer, start: number, end: number): string {
  const stop = Math.min(end, start + HEX_DUMP_LIMIT)
  const hex = buffer.toString('hex', start, stop).replace(/(..)(?!$)/g, '$1 ')
  return `message (${end - start} bytes) hex: ${hex}${stop < end ? ' …' : ''}`
}
