/**
 * The replication transport: START_REPLICATION on a `replication: 'database'` connection, then the
 * copy-both phase read straight off the socket.
 *
 * Why not pg's own `copyData` events: pg parses every message into an object and offers no way to
 * stop reading, so a slow consumer means an unbounded queue. pg-copy-streams' copy-both duplex
 * does pause, but goes through a Readable and a buffer list that concatenates partial frames:
 * measured on the same 60 MiB capture (benchmarks/results/decoder-*.txt) it frames 4.1M msgs/s,
 * our framer 32M msgs/s. Like that duplex, we take the socket from pg's parser when the query is
 * submitted (the connection is idle then, so pg holds no partial bytes), frame the messages
 * ourselves with {@link CopyBothFramer}, decode XLogData in place, and pause the socket while the
 * consumer's promise is pending; at the end (CopyDone or an error) the rest goes back to pg's
 * parser, so pg sees CommandComplete/ReadyForQuery (or the ErrorResponse) and the client can run
 * replication commands again.
 */
import type pg from 'pg'
import { CopyBothFramer, BackendCode, FrameResult, type FrameSink } from './copy-both-framer.js'
import { formatLsn, toLsn, type LsnString } from './lsn.js'
import type { MessageDispatcher, ReplicationHandler } from './message-dispatcher.js'
import type { NegotiatedProtocol } from './protocol-options.js'
import {
  COPY_DONE,
  ReplicationCode,
  XLOGDATA_HEADER,
  encodeStandbyStatus,
} from './standby-messages.js'
import { replicationError, unexpectedMessageError } from './replication-error.js'
import { DEFAULT_RECEIVE_TIMEOUT_MS, ReceiveWatchdog } from './receive-watchdog.js'
import type { StreamSpool } from './stream-spool.js'
import { negotiateStart, type StreamStart } from './stream-start.js'
import { streamDispatcher } from './stream-dispatcher.js'
import { deferred, onAbort } from './deferred.js'
import { markClientUsed, refuseUsedClient } from './used-clients.js'
import type { ReplicationStreamOptions } from './replication-stream-options.js'
import { handSocketBack, takeSocketSubmittable, type PgConnection } from './socket-takeover.js'
import { receiveTimeoutError } from './receive-timeout-error.js'

export type { ReplicationHandler } from './message-dispatcher.js'
export type { ReplicationStreamOptions } from './replication-stream-options.js'

/**
 * A running logical replication stream.
 * @public
 */
export class ReplicationStream {
  /** The options sent to pgoutput. */
  readonly protocol: NegotiatedProtocol
  /** The exact START_REPLICATION command sent. */
  readonly command: string
  /** Settles when the stream has ended: fulfilled after `stop()`, rejected on any error. */
  readonly done: Promise<void>

  readonly #client: pg.Client
  readonly #dispatcher: MessageDispatcher
  readonly #spool: StreamSpool | undefined
  readonly #framer: CopyBothFramer
  readonly #confirmIdle: boolean
  #statusIntervalMs: number
  #connection: PgConnection | undefined
  #pgData: ((chunk: Buffer) => void) | undefined
  readonly #onData: (chunk: Buffer) => void
  #timer: NodeJS.Timeout | undefined
  readonly #watchdog: ReceiveWatchdog
  #received = 0n
  #confirmed = 0n
  #started = false
  #copyDoneSent = false
  #stopping = false
  #ended = false
  #error: unknown = undefined
  /** Settles when the server has entered copy-both mode, or the start failed. */
  readonly #startup = deferred()
  readonly #end = deferred()

  private constructor(
    client: pg.Client,
    start: StreamStart,
    options: ReplicationStreamOptions,
    handler: ReplicationHandler,
  ) {
    this.#client = client
    this.protocol = start.protocol
    this.command = start.command
    this.#statusIntervalMs = start.statusIntervalMs
    this.#confirmIdle = options.confirmIdle ?? true
    const { dispatcher, spool } = streamDispatcher(handler, options, {
      resume: () => this.#resumeReading(),
      fail: (error) => {
        this.#fail(error, true)
        this.#resumeReading()
      },
    })
    this.#dispatcher = dispatcher
    this.#spool = spool
    const startLsn = toLsn(options.startLsn ?? 0n)
    this.#confirmed = startLsn
    this.#received = startLsn
    this.#dispatcher.mustConfirm = startLsn
    const sink: FrameSink = { frame: (code, buffer, s, e) => this.#frame(code, buffer, s, e) }
    this.#framer = new CopyBothFramer(sink)
    const receiveTimeoutMs = options.receiveTimeoutMs ?? DEFAULT_RECEIVE_TIMEOUT_MS
    this.#watchdog = new ReceiveWatchdog(receiveTimeoutMs, {
      ping: () => this.sendStatus(true),
      expire: () => this.#timedOut(receiveTimeoutMs),
      paused: () => this.#framer.paused,
    })
    this.#onData = (chunk) => {
      this.#watchdog.received()
      if (!this.#framer.push(chunk) && !this.#framer.detached) this.#connection?.stream.pause()
    }
    // a caller that only uses stop() must not see an unhandled rejection (deferred.ts)
    this.done = this.#end.promise
  }

  /**
   * Negotiate options with the server behind `client` (a connected `replication: 'database'`
   * client), send START_REPLICATION and resolve once the server has entered copy-both mode.
   * Rejects with `PGFERRY_WAL_SLOT_MISSING` when the slot does not exist, `PGFERRY_WAL_PROTOCOL`
   * for other refusals. The handler may already be called before the returned promise settles
   * (messages can arrive in the same read as the server's CopyBothResponse).
   */
  static async start(
    client: pg.Client,
    options: ReplicationStreamOptions,
    handler: ReplicationHandler,
  ): Promise<ReplicationStream> {
    refuseUsedClient(client)
    const start = await negotiateStart(client, options)
    const stream = new ReplicationStream(client, start, options, handler)
    markClientUsed(client)
    void client.query(stream.#submittable() as unknown as pg.QueryConfig)
    await stream.#startup.promise
    if (options.signal !== undefined) onAbort(options.signal, () => void stream.stop())
    return stream
  }

  /** The highest LSN received from the server. */
  get receivedLsn(): LsnString {
    return formatLsn(this.#received)
  }

  /** True while reading is paused because the consumer has not finished a message. */
  get paused(): boolean {
    return this.#framer.paused
  }

  /** The flush position reported to the server. */
  get confirmedLsn(): LsnString {
    return formatLsn(this.#confirmed)
  }

  /**
   * Declare everything up to `lsn` durable on the consumer's side (e.g. a Commit's `endLsn` once
   * that transaction is committed on the target). The server may then recycle that WAL. Sent with
   * the next status update; never moves backwards.
   */
  confirm(lsn: bigint | LsnString): void {
    const value = toLsn(lsn)
    if (value > this.#confirmed) this.#confirmed = value
  }

  /** Send a standby status update now (the periodic one goes on regardless). */
  sendStatus(replyRequested = false): void {
    const connection = this.#connection
    if (connection === undefined || !this.#started || this.#copyDoneSent || this.#ended) return
    connection.stream.write(
      encodeStandbyStatus(this.#received, this.#confirmed, this.#confirmed, replyRequested),
    )
  }

  /**
   * End the copy-both phase (CopyDone) and wait for the server to finish; the client can then run
   * replication commands (IDENTIFY_SYSTEM, DROP_REPLICATION_SLOT), though not a second stream.
   * Messages arriving after the call are not delivered. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#ended && this.#started && !this.#copyDoneSent) {
      this.#stopping = true
      this.#dispatcher.stopping = true
      this.sendStatus()
      this.#copyDoneSent = true
      this.#connection?.stream.write(COPY_DONE)
      // read on now, even past a consumer still busy (it may be awaiting this very call): nothing
      // more is delivered once stopping, and the server's CopyDone must be read to finish
      if (this.#framer.paused) this.#resumeReading()
    }
    await this.done.catch(() => undefined)
    if (this.#error !== undefined) throw this.#error
  }

  /** The object handed to `client.query`: pg calls `submit` when the connection is free. */
  #submittable(): object {
    return takeSocketSubmittable(this.command, this.#onData, {
      attach: (connection, pgData) => {
        this.#connection = connection
        this.#pgData = pgData
        // from here the server answers (CopyBothResponse or an error) or the connection is dead
        this.#watchdog.start()
      },
      error: (error) => this.#fail(replicationError(error, this.command), false),
      ready: () => this.#finish(),
    })
  }

  #frame(code: number, buffer: Buffer, start: number, end: number): FrameResult {
    if (code === BackendCode.CopyData) {
      const kind = buffer[start]
      if (kind === ReplicationCode.XLogData) {
        const walStart = buffer.readBigUInt64BE(start + 1)
        if (walStart > this.#received) this.#received = walStart
        if (this.#stopping) return FrameResult.Continue
        return this.#message(buffer, start + XLOGDATA_HEADER, end, walStart)
      }
      if (kind === ReplicationCode.Keepalive) {
        const walEnd = buffer.readBigUInt64BE(start + 1)
        if (walEnd > this.#received) this.#received = walEnd
        if (
          this.#confirmIdle &&
          walEnd > this.#confirmed &&
          this.#dispatcher.idle(this.#confirmed)
        ) {
          this.#confirmed = walEnd
        }
        if (buffer[start + 17] === 1) this.sendStatus()
        return FrameResult.Continue
      }
      this.#fail(unexpectedMessageError(kind), true)
      // #fail has set #stopping: read on (skipping data) until the server's CopyDone
      return FrameResult.Continue
    }
    switch (code) {
      case BackendCode.CopyBothResponse:
        this.#started = true
        this.#timer = setInterval(() => this.sendStatus(), this.#statusIntervalMs)
        this.#timer.unref()
        this.#startup.resolve()
        return FrameResult.Continue
      case BackendCode.NoticeResponse:
      case BackendCode.ParameterStatus:
        return FrameResult.Continue
      case BackendCode.CopyDone:
        // the server ends the copy (it got ours, or it is shutting down): answer once, then let
        // pg read CommandComplete and ReadyForQuery
        if (!this.#copyDoneSent) {
          this.#copyDoneSent = true
          this.#connection?.stream.write(COPY_DONE)
        }
        this.#detach(true)
        return FrameResult.Detach
      default:
        // ErrorResponse, or the end of a refused START_REPLICATION: pg turns it into handleError
        this.#detach(false)
        return FrameResult.Detach
    }
  }

  /** One pgoutput message at `buffer[start, end)`. */
  #message(buffer: Buffer, start: number, end: number, walStart: bigint): FrameResult {
    try {
      // once stopping nothing more is delivered, so there is no consumer to wait for (it may be
      // awaiting stop() itself)
      return this.#dispatcher.dispatch(buffer, start, end, walStart) || this.#stopping
        ? FrameResult.Continue
        : FrameResult.Pause
    } catch (error) {
      // #fail sets #stopping: read on (skipping data) until the server's CopyDone
      this.#fail(error, true)
      return FrameResult.Continue
    }
  }

  #resumeReading(): void {
    if (this.#framer.resume() && !this.#framer.detached) this.#connection?.stream.resume()
  }

  /** Give the socket back to pg, with the bytes it has not seen; `skipFrame` drops a CopyDone. */
  #detach(skipFrame: boolean): void {
    // runs inside the framer's callback; the framer collects the rest once we return
    queueMicrotask(() => {
      const connection = this.#connection
      const pgData = this.#pgData
      if (connection === undefined || pgData === undefined) return
      const rest = this.#framer.takeRest()
      this.#stopTimer()
      handSocketBack(connection, pgData, this.#onData, skipFrame ? rest.subarray(5) : rest)
    })
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#watchdog.stop()
  }

  /**
   * Nothing came from the server within the receive timeout: the connection is dead without having
   * said so. Fail first (the error names the cause), then destroy the socket, so that pg's own
   * report of the closed connection finds the stream ended, and `client.end()` returns at once.
   */
  #timedOut(timeoutMs: number): void {
    this.#fail(receiveTimeoutError(timeoutMs), false)
    this.#connection?.stream.destroy()
  }

  /**
   * End the stream with `error`. `graceful`: the connection is fine (a consumer or decoding error),
   * so end the copy with CopyDone and let the server finish, leaving the client usable.
   */
  #fail(error: unknown, graceful: boolean): void {
    if (this.#ended) return
    if (this.#error === undefined) this.#error = error
    if (!this.#started || !graceful) {
      this.#ended = true
      this.#cleanup()
      this.#startup.reject(error)
      this.#end.reject(error)
      return
    }
    if (!this.#copyDoneSent && this.#connection !== undefined) {
      // end the copy cleanly so the connection stays usable; #finish settles `done`
      this.#stopping = true
      this.#dispatcher.stopping = true
      this.#copyDoneSent = true
      this.#connection.stream.write(COPY_DONE)
      return
    }
    if (this.#copyDoneSent) return // #finish settles `done` when the server has answered
    this.#ended = true
    this.#cleanup()
    this.#end.reject(error)
  }

  #finish(): void {
    if (this.#ended) return
    this.#ended = true
    this.#cleanup()
    if (this.#error !== undefined) this.#end.reject(this.#error)
    else this.#end.resolve()
  }

  #cleanup(): void {
    this.#stopTimer()
    this.#spool?.close()
  }

  /** For diagnostics. */
  toString(): string {
    return `ReplicationStream(${this.#client.database ?? ''}, received ${this.receivedLsn}, confirmed ${this.confirmedLsn})`
  }
}
