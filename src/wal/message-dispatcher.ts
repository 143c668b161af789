/**
 * Between the transport and the consumer: decodes each XLogData payload, holds streamed
 * transactions in a {@link StreamSpool} until they commit, tracks transaction boundaries (what the
 * consumer must confirm before idle keepalives may be confirmed), and calls the handler, waiting
 * for its promise before the next message. Knows nothing of sockets, so tests drive it with
 * captured bytes.
 */
import { PgoutputDecoder } from './pgoutput-decoder.js'
import { MessageType, type PgoutputMessage } from './pgoutput-messages.js'
import type { StreamSpool } from './stream-spool.js'

/**
 * Receives each message. The message's Buffers are valid only until the handler returns (or its
 * promise settles). Returning a promise pauses reading until it settles; a rejection or a throw
 * ends the stream with that error.
 * @public
 */
export type ReplicationHandler = (
  message: PgoutputMessage,
  walStart: bigint,
) => void | PromiseLike<void>

export interface MessageDispatcherOptions {
  /** Spool streamed transactions (else every message is delivered as it arrives). */
  readonly spool: StreamSpool | undefined
  /**
   * With a spool: also hand every message of a streamed block to the consumer as it arrives
   * (Stream Start, Stop and Abort included), so it can apply the transaction while it streams.
   */
  readonly live?: boolean
  /**
   * With `live`: at Stream Commit / Stream Prepare, whether the spooled messages are handed out
   * again before it (the consumer did not keep what it was given live). Defaults to always.
   */
  readonly replayStreamed?: (xid: number) => boolean
  /** Called when a wait on the consumer is over and reading may go on. */
  readonly onResume: () => void
  /** Called when the consumer's promise rejects. */
  readonly onError: (error: unknown) => void
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return (
    value !== undefined && value !== null && typeof (value as PromiseLike<void>).then === 'function'
  )
}

export class MessageDispatcher {
  readonly decoder = new PgoutputDecoder()
  readonly #handler: ReplicationHandler
  readonly #spool: StreamSpool | undefined
  readonly #onResume: () => void
  readonly #onError: (error: unknown) => void
  readonly #live: boolean
  readonly #replayStreamed: (xid: number) => boolean
  /** End LSN of the last transaction (or non-transactional message) handed to the consumer. */
  mustConfirm = 0n
  #inTransaction = false
  readonly #openStreams = new Set<number>()
  #busy = false
  /** Set when the stream is ending: no further message is delivered. */
  stopping = false

  constructor(handler: ReplicationHandler, options: MessageDispatcherOptions) {
    this.#handler = handler
    this.#spool = options.spool
    this.#onResume = options.onResume
    this.#onError = options.onError
    this.#live = options.live === true && options.spool !== undefined
    this.#replayStreamed = options.replayStreamed ?? (() => true)
  }

  /** A consumer promise is pending. */
  get busy(): boolean {
    return this.#busy
  }

  /** Nothing delivered is unconfirmed at `confirmed`, no transaction is open, the consumer is free. */
  idle(confirmed: bigint): boolean {
    return (
      !this.#busy &&
      !this.#inTransaction &&
      this.#openStreams.size === 0 &&
      confirmed >= this.mustConfirm
    )
  }

  /**
   * One pgoutput message at `buffer[start, end)`. Returns false when the consumer is busy: then
   * `onResume` is called once it is done with this message and what it released.
   */
  dispatch(buffer: Buffer, start: number, end: number, walStart: bigint): boolean {
    if (this.stopping) return true
    const spool = this.#spool
    const streamXid = this.decoder.streamXid
    if (
      spool !== undefined &&
      streamXid !== undefined &&
      buffer[start] !== MessageType.StreamStop
    ) {
      // inside a streamed block every change carries its (sub)transaction xid first; Origin has none
      const subXid =
        buffer[start] === MessageType.Origin ? streamXid : buffer.readUInt32BE(start + 1)
      spool.append(streamXid, subXid, buffer, start, end)
      // the spool keeps its copy either way, so the consumer may give up on the live messages
      // and have them replayed at Stream Commit
      if (!this.#live) return true
      return this.#handOut(this.decoder.decode(buffer, start, end), walStart)
    }
    const message = this.decoder.decode(buffer, start, end)
    if (spool !== undefined) {
      switch (message.type) {
        case MessageType.StreamStart:
          this.#openStreams.add(message.xid)
          return this.#live ? this.#handOut(message, walStart) : true
        case MessageType.StreamStop:
          return this.#live ? this.#handOut(message, walStart) : true
        case MessageType.StreamAbort:
          spool.abort(message.xid, message.subXid)
          if (message.subXid === message.xid) this.#openStreams.delete(message.xid)
          return this.#live ? this.#handOut(message, walStart) : true
        case MessageType.StreamCommit:
        case MessageType.StreamPrepare:
          if (this.#live && !this.#replayStreamed(message.xid)) {
            spool.abort(message.xid, message.xid)
            return this.#deliver(message, walStart)
          }
          return this.#replay(spool.release(message.xid), message.xid, message, walStart)
        default:
      }
    }
    return this.#deliver(message, walStart)
  }

  /** Hand out the spooled messages of `xid`, then `final`. False when it waits for the consumer. */
  #replay(
    messages: Generator<Buffer, void, undefined>,
    xid: number,
    final: PgoutputMessage,
    walStart: bigint,
  ): boolean {
    // a decoder of its own: Relation messages inside a streamed transaction are that transaction's
    const decoder = new PgoutputDecoder()
    decoder.enterStream(xid)
    const step = (): boolean => {
      for (let next = messages.next(); next.done !== true; next = messages.next()) {
        if (this.stopping) return true
        const result = this.#handler(decoder.decode(next.value), walStart)
        if (isThenable(result)) {
          this.#wait(result, step)
          return false
        }
      }
      this.decoder.adoptStream(xid, decoder)
      return this.#deliver(final, walStart)
    }
    return step()
  }

  /** A live message of a streamed block: no transaction boundary to track. */
  #handOut(message: PgoutputMessage, walStart: bigint): boolean {
    const result = this.#handler(message, walStart)
    if (isThenable(result)) {
      this.#wait(result, null)
      return false
    }
    return true
  }

  /** Track transaction boundaries, then call the handler. False when the handler is async. */
  #deliver(message: PgoutputMessage, walStart: bigint): boolean {
    switch (message.type) {
      case MessageType.Begin:
      case MessageType.BeginPrepare:
        this.#inTransaction = true
        break
      case MessageType.StreamCommit:
      case MessageType.StreamPrepare:
        this.#openStreams.delete(message.xid)
        if (message.endLsn > this.mustConfirm) this.mustConfirm = message.endLsn
        break
      case MessageType.Commit:
      case MessageType.Prepare:
      case MessageType.CommitPrepared:
        this.#inTransaction = false
        if (message.endLsn > this.mustConfirm) this.mustConfirm = message.endLsn
        break
      case MessageType.RollbackPrepared:
        if (message.rollbackEndLsn > this.mustConfirm) this.mustConfirm = message.rollbackEndLsn
        break
      case MessageType.StreamStart:
        this.#openStreams.add(message.xid)
        break
      case MessageType.StreamAbort:
        if (message.subXid === message.xid) this.#openStreams.delete(message.xid)
        break
      case MessageType.Message:
        // a non-transactional message stands alone: it is confirmed by its own position
        if (!message.transactional && walStart > this.mustConfirm) this.mustConfirm = walStart
        break
      default:
    }
    const result = this.#handler(message, walStart)
    if (isThenable(result)) {
      this.#wait(result, null)
      return false
    }
    return true
  }

  #wait(pending: PromiseLike<void>, next: (() => boolean) | null): void {
    this.#busy = true
    pending.then(
      () => {
        this.#busy = false
        if (next !== null && !this.stopping && !next()) return
        this.#onResume()
      },
      (error: unknown) => {
        this.#busy = false
        this.#onError(error)
      },
    )
  }
}
