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
import { PgferryError } from '../errors.js'
import { CopyBothFramer, BackendCode, FrameResult, type FrameSink } from './copy-both-framer.js'
import { formatLsn, toLsn, type LsnString } from './lsn.js'
import { MessageDispatcher, type ReplicationHandler } from './message-dispatcher.js'
import {
  negotiateProtocol,
  startReplicationCommand,
  type NegotiatedProtocol,
  type ProtocolRequest,
} from './protocol-options.js'
import {
  COPY_DONE,
  ReplicationCode,
  XLOGDATA_HEADER,
  encodeStandbyStatus,
} from './standby-messages.js'
import { replicationError } from './replication-error.js'
import { DEFAULT_RECEIVE_TIMEOUT_MS, ReceiveWatchdog } from './receive-watchdog.js'
import { statusIntervalFor } from './status-interval.js'
import { StreamSpool, type StreamSpoolOptions } from './stream-spool.js'

export type { ReplicationHandler } from './message-dispatcher.js'

/** @public */
export interface ReplicationStreamOptions extends ProtocolRequest {
  /** The logical slot (pgoutput) to read. */
  readonly slot: string
  /** Publications to decode. */
  readonly publications: readonly string[]
  /** Where to start; `0/0` means the slot's confirmed_flush_lsn. Defaults to `0/0`. */
  readonly startLsn?: bigint | LsnString
  /**
   * `'spool'`: streamed transactions are held (memory, then disk) and handed out only at Stream
   * Commit / Stream Prepare, in order, followed by that message; Stream Start/Stop/Abort are not
   * delivered. `'live'`: as `'spool'`, and each message of a streamed block (Stream Start, Stop and
   * Abort included) is also delivered as it arrives, so the consumer can apply the transaction
   * while it streams; at Stream Commit / Stream Prepare `replayStreamed` says whether the spooled
   * messages are delivered again first. `'raw'`: every message as it arrives, nothing spooled.
   * Defaults to `'spool'`.
   */
  readonly streamedTransactions?: 'spool' | 'live' | 'raw'
  /**
   * With `'live'`: called at a streamed transaction's Stream Commit / Stream Prepare; true to have
   * its spooled messages delivered again before it (the consumer gave up what it was given live),
   * false to drop them. Defaults to always true.
   */
  readonly replayStreamed?: (xid: number) => boolean
  /** Limits of the spool. */
  readonly spool?: StreamSpoolOptions
  /**
   * Interval of standby status updates. Defaults to half the server's wal_sender_timeout, at most
   * 10 s.
   */
  readonly statusIntervalMs?: number
  /**
   * When everything delivered is confirmed and no transaction is open, confirm the walEnd of
   * keepalives too, so an idle or filtered-out source does not pin WAL. Defaults to true.
   */
  readonly confirmIdle?: boolean
  /**
   * Milliseconds without a byte from the server after which the connection is taken for dead (a
   * network path that drops packets, a host gone without closing it), as PostgreSQL's
   * `wal_receiver_timeout`: at half of it a status update asks the server for a reply, which a live
   * walsender sends at once; at the full timeout the socket is destroyed and the stream fails with
   * a retryable `PGFERRY_CONNECTION_LOST`. Time while the handler holds reading paused does not
   * count. 0 disables it. Defaults to 60 000.
   */
  readonly receiveTimeoutMs?: number
  /** Stops the stream (as `stop()`) when aborted. */
  readonly signal?: AbortSignal
}

/** The parts of pg's internal Connection the transport uses. */
interface PgConnection {
  readonly stream: NodeJS.ReadableStream & {
    write(data: Buffer): boolean
    destroy(): unknown
    pause(): unknown
    resume(): unknown
    listeners(event: 'data'): ((chunk: Buffer) => void)[]
  }
  query(text: string): void
}

/**
 * Clients that have run a logical START_REPLICATION. A walsender keeps its copy-done flags after
 * the first logical stream ends, so a second START_REPLICATION on the same connection is ended by
 * the server at once (measured on v12–v17); refuse it up front instead of returning a dead stream.
 */
const usedClients = new WeakSet<pg.Client>()

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
  #resolveStarted!: () => void
  #rejectStarted!: (error: unknown) => void
  readonly #startedPromise: Promise<void>
  #resolveDone!: () => void
  #rejectDone!: (error: unknown) => void

  private constructor(
    client: pg.Client,
    protocol: NegotiatedProtocol,
    command: string,
    options: ReplicationStreamOptions,
    statusIntervalMs: number,
    handler: ReplicationHandler,
  ) {
    this.#client = client
    this.protocol = protocol
    this.command = command
    this.#statusIntervalMs = statusIntervalMs
    this.#confirmIdle = options.confirmIdle ?? true
    const mode = options.streamedTransactions ?? 'spool'
    const spool = mode === 'raw' ? undefined : new StreamSpool(options.spool)
    this.#spool = spool
    this.#dispatcher = new MessageDispatcher(handler, {
      spool,
      live: mode === 'live',
      ...(options.replayStreamed !== undefined ? { replayStreamed: options.replayStreamed } : {}),
      onResume: () => this.#resumeReading(),
      onError: (error) => {
        this.#fail(error, true)
        this.#resumeReading()
      },
    })
    const start = toLsn(options.startLsn ?? 0n)
    this.#confirmed = start
    this.#received = start
    this.#dispatcher.mustConfirm = start
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
    this.#startedPromise = new Promise<void>((resolve, reject) => {
      this.#resolveStarted = resolve
      this.#rejectStarted = reject
    })
    this.#startedPromise.catch(() => undefined)
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve
      this.#rejectDone = reject
    })
    // a caller that only uses stop() must not see an unhandled rejection
    this.done.catch(() => undefined)
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
    if (usedClients.has(client)) {
      throw new PgferryError(
        'PGFERRY_WAL_PROTOCOL',
        'this connection has already run a replication stream',
        {
          fix: 'open a new replication connection for each START_REPLICATION (PostgreSQL ends a second one at once)',
        },
      )
    }
    const version = await client.query<{ server_version_num: string }>('SHOW server_version_num')
    const protocol = negotiateProtocol(Number(version.rows[0]?.server_version_num), options)
    let interval = options.statusIntervalMs
    if (interval === undefined) {
      const t = await client.query<{ wal_sender_timeout: string }>('SHOW wal_sender_timeout')
      interval = statusIntervalFor(t.rows[0]?.wal_sender_timeout ?? '0')
    }
    const startLsn = formatLsn(toLsn(options.startLsn ?? 0n))
    const command = startReplicationCommand(options.slot, startLsn, options.publications, protocol)
    const stream = new ReplicationStream(client, protocol, command, options, interval, handler)
    usedClients.add(client)
    void client.query(stream.#submittable() as unknown as pg.QueryConfig)
    await stream.#startedPromise
    const signal = options.signal
    if (signal !== undefined) {
      if (signal.aborted) void stream.stop()
      else signal.addEventListener('abort', () => void stream.stop(), { once: true })
    }
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
    return {
      submit: (connection: PgConnection) => {
        this.#connection = connection
        const stream = connection.stream
        // pg's parser is the first 'data' listener (attached at connect); others (taps) stay
        const listeners = stream.listeners('data')
        if (listeners.length === 0)
          throw new PgferryError('PGFERRY_INTERNAL', 'pg connection has no data listener')
        this.#pgData = listeners[0]
        stream.removeListener('data', this.#pgData as (chunk: Buffer) => void)
        stream.on('data', this.#onData)
        connection.query(this.command)
        // from here the server answers (CopyBothResponse or an error) or the connection is dead
        this.#watchdog.start()
      },
      handleError: (error: unknown) => this.#fail(replicationError(error, this.command), false),
      handleReadyForQuery: () => this.#finish(),
      handleCommandComplete: () => undefined,
      handleRowDescription: () => undefined,
      handleDataRow: () => undefined,
      handleEmptyQuery: () => undefined,
      handlePortalSuspended: () => undefined,
      handleCopyInResponse: () => undefined,
      handleCopyData: () => undefined,
    }
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
      this.#fail(
        new PgferryError(
          'PGFERRY_WAL_PROTOCOL',
          `unexpected replication message 0x${(kind ?? 0).toString(16)} in CopyData`,
        ),
        true,
      )
      // #fail has set #stopping: read on (skipping data) until the server's CopyDone
      return FrameResult.Continue
    }
    switch (code) {
      case BackendCode.CopyBothResponse:
        this.#started = true
        this.#timer = setInterval(() => this.sendStatus(), this.#statusIntervalMs)
        this.#timer.unref()
        this.#resolveStarted()
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
      let rest = this.#framer.takeRest()
      if (skipFrame) rest = rest.subarray(5)
      connection.stream.removeListener('data', this.#onData)
      connection.stream.on('data', pgData)
      this.#stopTimer()
      if (rest.length > 0) pgData(rest)
      connection.stream.resume()
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
    const silence = Object.assign(new Error(`no data within ${timeoutMs} ms`), {
      code: 'ETIMEDOUT',
    })
    this.#fail(
      new PgferryError(
        'PGFERRY_CONNECTION_LOST',
        `the replication connection received nothing from the source for ${timeoutMs} ms (receiveTimeoutMs), not even the reply a live walsender sends at once when asked: the network path or the source host is gone without closing the connection`,
        {
          side: 'source',
          cause: silence,
          fix: 'start the stream again on a new replication connection once the source is reachable: it resumes from the confirmed position, which the slot keeps (raise receiveTimeoutMs only if the network is known to stall that long)',
        },
      ),
      false,
    )
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
      this.#rejectStarted(error)
      this.#rejectDone(error)
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
    this.#rejectDone(error)
  }

  #finish(): void {
    if (this.#ended) return
    this.#ended = true
    this.#cleanup()
    if (this.#error !== undefined) this.#rejectDone(this.#error)
    else this.#resolveDone()
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
