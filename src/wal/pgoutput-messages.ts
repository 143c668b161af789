/**
 * The pgoutput logical replication messages, protocol versions 1–4, as the decoder hands them out
 * (PostgreSQL docs "Logical Replication Message Formats"; src/backend/replication/logical/proto.c).
 *
 * Values are the server's own bytes: tuple columns are `Buffer` views of text or binary output,
 * never converted through JavaScript numbers or Dates. LSNs are `bigint`; timestamps are `bigint`
 * microseconds since 2000-01-01 UTC (PostgreSQL's TimestampTz). Buffers and tuples in a message
 * point into the received bytes and are valid only during the callback that receives the message;
 * copy what you keep (`Buffer.from(view)`, `tuple.copy()`).
 */

/**
 * Message type bytes, as sent by the server. A plain enum, not `const`: callers compiling with
 * isolatedModules (esbuild, Vite) cannot read a `declare const enum`; the benchmark, run through
 * tsx (per-file transform, so const enums were already property reads), measured the same speed.
 * @public
 */
export enum MessageType {
  Begin = 0x42, // 'B'
  Commit = 0x43, // 'C'
  Origin = 0x4f, // 'O'
  Relation = 0x52, // 'R'
  Type = 0x59, // 'Y'
  Insert = 0x49, // 'I'
  Update = 0x55, // 'U'
  Delete = 0x44, // 'D'
  Truncate = 0x54, // 'T'
  Message = 0x4d, // 'M' (v14+ with `messages`)
  StreamStart = 0x53, // 'S' (v14+ proto 2)
  StreamStop = 0x45, // 'E'
  StreamCommit = 0x63, // 'c'
  StreamAbort = 0x41, // 'A'
  BeginPrepare = 0x62, // 'b' (v15+ proto 3)
  Prepare = 0x50, // 'P'
  CommitPrepared = 0x4b, // 'K'
  RollbackPrepared = 0x72, // 'r'
  StreamPrepare = 0x70, // 'p'
}

/** How one tuple column was sent. @public */
export enum TupleKind {
  /** SQL NULL. */
  Null = 0x6e, // 'n'
  /** An unchanged TOASTed value: not sent, and it is not NULL. Keep the target's value. */
  Unchanged = 0x75, // 'u'
  /** The type's text output. */
  Text = 0x74, // 't'
  /** The type's binary send output (only with `binary`, for types that have one). */
  Binary = 0x62, // 'b'
}

/**
 * One row image, read in place: the column bytes stay in the received message and the tuple keeps
 * only where each column starts (measured: a Buffer view per column cost more than the rest of
 * decoding together). `layout` holds three numbers per column: kind, start, length. Use the
 * methods; they allocate only what they return.
 * @public
 */
export class TupleData {
  /** The bytes the columns point into: the received message, or a private copy after `copy()`. */
  readonly buffer: Buffer
  /** Number of columns sent (may be fewer than the relation has, never more). */
  readonly length: number
  /** `[kind, start, length]` per column; start/length are 0 for null and unchanged columns. */
  readonly layout: number[]

  constructor(buffer: Buffer, length: number, layout: number[]) {
    this.buffer = buffer
    this.length = length
    this.layout = layout
  }

  /** How column `i` was sent. */
  kind(i: number): TupleKind {
    return this.layout[i * 3] as TupleKind
  }

  /** SQL NULL. */
  isNull(i: number): boolean {
    return this.layout[i * 3] === TupleKind.Null
  }

  /** An unchanged TOAST value: not sent, and not NULL. */
  isUnchanged(i: number): boolean {
    return this.layout[i * 3] === TupleKind.Unchanged
  }

  /** The column's bytes as a view (valid as long as `buffer` is), or null for null/unchanged. */
  bytes(i: number): Buffer | null {
    const k = i * 3
    const kind = this.layout[k]
    if (kind !== TupleKind.Text && kind !== TupleKind.Binary) return null
    const start = this.layout[k + 1] as number
    return this.buffer.subarray(start, start + (this.layout[k + 2] as number))
  }

  /**
   * Column `i` as text: `null` for SQL NULL, `undefined` for an unchanged TOAST value. For a binary
   * column this is the UTF-8 reading of the send format, meaningful only for text-like types.
   */
  text(i: number): string | null | undefined {
    const k = i * 3
    const kind = this.layout[k]
    if (kind === TupleKind.Null) return null
    if (kind !== TupleKind.Text && kind !== TupleKind.Binary) return undefined
    const start = this.layout[k + 1] as number
    return this.buffer.toString('utf8', start, start + (this.layout[k + 2] as number))
  }

  /** A tuple with its own copy of the column bytes, for keeping past the callback. */
  copy(): TupleData {
    const layout = this.layout.slice()
    let first = Infinity
    let last = 0
    for (let k = 0; k < layout.length; k += 3) {
      if (layout[k] === TupleKind.Text || layout[k] === TupleKind.Binary) {
        const start = layout[k + 1] as number
        if (start < first) first = start
        const end = start + (layout[k + 2] as number)
        if (end > last) last = end
      }
    }
    if (first === Infinity) return new TupleData(Buffer.alloc(0), this.length, layout)
    for (let k = 0; k < layout.length; k += 3) {
      if (layout[k] === TupleKind.Text || layout[k] === TupleKind.Binary)
        layout[k + 1] = (layout[k + 1] as number) - first
    }
    // allocUnsafe takes small copies from its shared pool: no ArrayBuffer of its own per row
    const bytes = Buffer.allocUnsafe(last - first)
    this.buffer.copy(bytes, 0, first, last)
    return new TupleData(bytes, this.length, layout)
  }
}

/** A relation column as described by a Relation message. @public */
export interface RelationColumn {
  /** Part of the replica identity key (flag bit 1). */
  readonly isKey: boolean
  readonly name: string
  readonly typeOid: number
  readonly typeMod: number
}

/** `pg_class.relreplident`: d(efault), n(othing), f(ull), i(ndex). @public */
export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i'

/** Fields common to messages that may appear inside a streamed block (v2+): the xid prefix. @public */
export interface StreamableFields {
  /**
   * The (sub)transaction xid the server prefixed the message with inside a streamed block
   * (Stream Start … Stream Stop); `undefined` outside one.
   */
  readonly xid: number | undefined
}

/** @public */
export interface BeginMessage {
  readonly type: MessageType.Begin
  /** The transaction's final (commit) LSN. */
  readonly finalLsn: bigint
  readonly commitTime: bigint
  readonly xid: number
}
/** @public */
export interface CommitMessage {
  readonly type: MessageType.Commit
  readonly flags: number
  readonly commitLsn: bigint
  /** Where the transaction's WAL ends: the position to confirm once it is applied. */
  readonly endLsn: bigint
  readonly commitTime: bigint
}
/** @public */
export interface OriginMessage {
  readonly type: MessageType.Origin
  readonly originLsn: bigint
  readonly name: string
}
/** @public */
export interface RelationMessage extends StreamableFields {
  readonly type: MessageType.Relation
  readonly relationOid: number
  readonly schema: string
  readonly name: string
  readonly replicaIdentity: ReplicaIdentity
  readonly columns: readonly RelationColumn[]
}
/** @public */
export interface TypeMessage extends StreamableFields {
  readonly type: MessageType.Type
  readonly typeOid: number
  readonly schema: string
  readonly name: string
}
/** @public */
export interface InsertMessage extends StreamableFields {
  readonly type: MessageType.Insert
  readonly relation: RelationMessage
  readonly newTuple: TupleData
}
/** @public */
export interface UpdateMessage extends StreamableFields {
  readonly type: MessageType.Update
  readonly relation: RelationMessage
  /**
   * 'K': old key columns (the key changed, REPLICA IDENTITY DEFAULT/INDEX); 'O': the whole old row
   * (REPLICA IDENTITY FULL); `undefined`: no old image sent.
   */
  readonly oldKind: 'K' | 'O' | undefined
  readonly oldTuple: TupleData | undefined
  readonly newTuple: TupleData
}
/** @public */
export interface DeleteMessage extends StreamableFields {
  readonly type: MessageType.Delete
  readonly relation: RelationMessage
  /** 'K': key columns only (others sent as NULL); 'O': the whole old row. */
  readonly oldKind: 'K' | 'O'
  readonly oldTuple: TupleData
}
/** @public */
export interface TruncateMessage extends StreamableFields {
  readonly type: MessageType.Truncate
  readonly cascade: boolean
  readonly restartIdentity: boolean
  readonly relations: readonly RelationMessage[]
}
/** @public */
export interface LogicalMessage extends StreamableFields {
  readonly type: MessageType.Message
  readonly transactional: boolean
  readonly lsn: bigint
  readonly prefix: string
  readonly content: Buffer
}
/** @public */
export interface StreamStartMessage {
  readonly type: MessageType.StreamStart
  readonly xid: number
  readonly firstSegment: boolean
}
/** @public */
export interface StreamStopMessage {
  readonly type: MessageType.StreamStop
}
/** @public */
export interface StreamCommitMessage {
  readonly type: MessageType.StreamCommit
  readonly xid: number
  readonly flags: number
  readonly commitLsn: bigint
  readonly endLsn: bigint
  readonly commitTime: bigint
}
/** @public */
export interface StreamAbortMessage {
  readonly type: MessageType.StreamAbort
  readonly xid: number
  /** Equal to `xid` when the whole transaction aborted, else the aborted subtransaction. */
  readonly subXid: number
  /** v4 with `streaming 'parallel'` only. */
  readonly abortLsn: bigint | undefined
  readonly abortTime: bigint | undefined
}
/** @public */
export interface BeginPrepareMessage {
  readonly type: MessageType.BeginPrepare
  readonly prepareLsn: bigint
  readonly endLsn: bigint
  readonly prepareTime: bigint
  readonly xid: number
  readonly gid: string
}
/** Prepare and Stream Prepare share one layout. @public */
export interface PrepareMessage {
  readonly type: MessageType.Prepare | MessageType.StreamPrepare
  readonly flags: number
  readonly prepareLsn: bigint
  readonly endLsn: bigint
  readonly prepareTime: bigint
  readonly xid: number
  readonly gid: string
}
/** @public */
export interface CommitPreparedMessage {
  readonly type: MessageType.CommitPrepared
  readonly flags: number
  readonly commitLsn: bigint
  readonly endLsn: bigint
  readonly commitTime: bigint
  readonly xid: number
  readonly gid: string
}
/** @public */
export interface RollbackPreparedMessage {
  readonly type: MessageType.RollbackPrepared
  readonly flags: number
  readonly prepareEndLsn: bigint
  readonly rollbackEndLsn: bigint
  readonly prepareTime: bigint
  readonly rollbackTime: bigint
  readonly xid: number
  readonly gid: string
}

/** Every message the decoder produces. @public */
export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage
  | BeginPrepareMessage
  | PrepareMessage
  | CommitPreparedMessage
  | RollbackPreparedMessage

/** A copy of a tuple that owns its bytes. @public */
export function copyTuple(tuple: TupleData): TupleData {
  return tuple.copy()
}

/** Column `i` of a tuple as text; see {@link TupleData.text}. @public */
export function columnText(tuple: TupleData, i: number): string | null | undefined {
  return tuple.text(i)
}

/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000n

/**
 * A message timestamp (µs since 2000-01-01) as a Date, for display and lag only: the Date keeps
 * milliseconds, so never use it to write a value.
 * @public
 */
export function timestampToDate(micros: bigint): Date {
  return new Date(Number(micros / 1000n + PG_EPOCH_MS))
}
