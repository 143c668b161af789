/**
 * The eager transaction (issue 11): one large source transaction applied on a second target
 * connection while it streams (protocol v2+), so that little is left to do when the source
 * commits. The transport keeps spooling it too (stream-spool.ts): whenever this connection gives
 * up (`abandon`), the spool is replayed on the apply connection at Stream Commit, as for any other
 * streamed transaction.
 *
 * - Same session as the apply connection (apply-session.ts) and the same merger and writer, plus a
 *   `lock_timeout`: a wait on a lock is an error here, and the caller falls back on it.
 * - A savepoint per subtransaction at its first change: a Stream Abort of a subtransaction rolls
 *   back to it, which (like the spool's truncation at the subtransaction's first message) also
 *   drops every later savepoint, since on the source all that followed belonged to it.
 * - Nothing is ever held across a Stream Stop (`segmentEnd` writes it out), so an abort, which
 *   comes between blocks, never finds changes queued in front of the writer.
 * - COMMIT records the progress through the apply connection's ApplyProgress (`commitOn`), which
 *   lends this connection the replication origin for that one message.
 */
import type pg from 'pg'
import { quoteIdent } from '../pg/quote.js'
import {
  MessageType,
  type DeleteMessage,
  type InsertMessage,
  type UpdateMessage,
} from '../wal/pgoutput-messages.js'
import type { ApplyProgress } from './apply-progress.js'
import { ChangeMerger } from './change-merger.js'
import { ChangeWriter } from './change-writer.js'
import type { RelationPlan } from './relation-plan.js'

/**
 * How long a statement of the eager transaction may wait for a lock before it gives up. Its changes
 * touch rows no other source transaction holds, so any wait is on something else (a target user's
 * lock, a case the source orders differently): then replaying at COMMIT, as before, is the safe
 * course, and a short wait costs little.
 */
export const EAGER_LOCK_TIMEOUT_MS = 1000

/** A change message of a streamed block. */
export type EagerChange = InsertMessage | UpdateMessage | DeleteMessage

/** What an eager COMMIT made durable. */
export interface EagerCommit {
  readonly rows: number
  readonly durationMs: number
}

/** The one eager transaction of a database's apply, on its own target connection. */
export class EagerTransaction {
  readonly #connect: () => Promise<pg.Client>
  #client: pg.Client | undefined
  #merger: ChangeMerger | undefined
  #writer: ChangeWriter | undefined
  /** Plans registered with this merger (the apply's own merger has its own registrations). */
  #registered = new WeakSet<RelationPlan>()
  /** The top-level xid followed; undefined when none. */
  #xid: number | undefined
  #healthy = false
  /** BEGIN was sent. */
  #open = false
  /** Subtransactions with a savepoint, in the order of their first change. */
  #savepoints: number[] = []
  #rows = 0
  #started = 0

  /** `connect`: a new target connection of the database, with the apply session set up. */
  constructor(connect: () => Promise<pg.Client>) {
    this.#connect = connect
  }

  /** The top-level xid being followed (even after giving up on it), or undefined. */
  get xid(): number | undefined {
    return this.#xid
  }

  /** Whether `xid` is followed and all of it so far is applied on this connection. */
  follows(xid: number): boolean {
    return this.#healthy && this.#xid === xid
  }

  /** The backend of this connection holds an open transaction. */
  get open(): boolean {
    return this.#open
  }

  /** Follow `xid` from its first change on (none is followed now). */
  follow(xid: number): void {
    this.#xid = xid
    this.#healthy = true
    this.#savepoints = []
    this.#rows = 0
    this.#started = Date.now()
  }

  /**
   * Apply one change of the followed transaction (`m.xid` is its subtransaction's xid). Returns
   * nothing when the change is only held (the merger's or writer's run): the stream then reads on
   * without a pause (issue 11), and the writer's one statement in flight bounds what is pending.
   */
  change(m: EagerChange, plan: RelationPlan, observed: boolean): Promise<void> | undefined {
    const sub = m.xid
    const merger = this.#merger
    if (
      !this.#open ||
      merger === undefined ||
      (sub !== undefined && sub !== this.#xid && !this.#savepoints.includes(sub))
    ) {
      return this.#changeAfterBegin(m, plan, observed)
    }
    return this.#apply(merger, m, plan, observed)
  }

  async #changeAfterBegin(m: EagerChange, plan: RelationPlan, observed: boolean): Promise<void> {
    const merger = await this.#begin()
    const sub = m.xid
    if (sub !== undefined && sub !== this.#xid && !this.#savepoints.includes(sub)) {
      // what came before the subtransaction must be behind the savepoint, not after it
      await merger.flush()
      await this.#query(`SAVEPOINT ${savepoint(sub)}`)
      this.#savepoints.push(sub)
    }
    await this.#apply(merger, m, plan, observed)
  }

  #apply(
    merger: ChangeMerger,
    m: EagerChange,
    plan: RelationPlan,
    observed: boolean,
  ): Promise<void> | undefined {
    if (!this.#registered.has(plan)) {
      merger.register(plan, observed)
      this.#registered.add(plan)
    }
    this.#rows++
    switch (m.type) {
      case MessageType.Insert:
        return merger.insert(plan, m.newTuple)
      case MessageType.Update:
        return merger.update(plan, m)
      case MessageType.Delete:
        return merger.delete(plan, m)
    }
  }

  /** A streamed block ended: write out what is held, so the work is done before the commit. */
  async segmentEnd(): Promise<void> {
    if (this.#open) await this.#merger?.flush()
  }

  /** A subtransaction aborted on the source: undo it and every later one. */
  async abortSubtransaction(subXid: number): Promise<void> {
    const at = this.#savepoints.indexOf(subXid)
    if (at < 0 || !this.#open) return // it made no change here
    await this.#query(`ROLLBACK TO SAVEPOINT ${savepoint(subXid)}`)
    this.#savepoints.length = at + 1
  }

  /**
   * Give up on the followed transaction: roll back what this connection did. Its messages are
   * ignored until its Stream Commit or Abort, and the spool replays it at commit.
   */
  async abandon(): Promise<void> {
    this.#healthy = false
    await this.#rollback()
  }

  /** The followed transaction is over (aborted, or committed by a replay): forget it. */
  async forget(): Promise<void> {
    this.#xid = undefined
    this.#healthy = false
    await this.#rollback()
  }

  /**
   * Commit the followed transaction with its progress at `endLsn` (the apply connection has
   * committed every transaction before it). `applied`: the position committed before it.
   */
  async commit(
    progress: ApplyProgress,
    endLsn: bigint,
    commitTime: bigint,
    applied: bigint,
  ): Promise<EagerCommit> {
    const rows = this.#rows
    const started = this.#started
    if (this.#open) {
      const merger = this.#merger as ChangeMerger
      const writer = this.#writer as ChangeWriter
      await merger.flush()
      await writer.restoreIdentities()
      writer.takeRows()
      this.#open = false
      await progress.commitOn(this.#client as pg.Client, endLsn, commitTime, applied)
    }
    this.#xid = undefined
    this.#healthy = false
    return { rows, durationMs: Date.now() - started }
  }

  /** Whether this connection's open transaction holds a lock backend `pid` waits for. */
  async blocks(pid: number): Promise<boolean> {
    if (!this.#open || this.#client === undefined) return false
    const r = await this.#client.query<{ b: boolean }>(
      `SELECT pg_backend_pid() = ANY (pg_blocking_pids($1)) AS b`,
      [pid],
    )
    return r.rows[0]?.b === true
  }

  /** Close the connection (an open transaction rolls back with it). */
  async close(): Promise<void> {
    const client = this.#client
    this.#client = undefined
    this.#open = false
    await client?.end().catch(() => undefined)
  }

  async #begin(): Promise<ChangeMerger> {
    if (this.#client === undefined) {
      this.#client = await this.#connect()
      this.#writer = new ChangeWriter(this.#client)
      this.#merger = new ChangeMerger(this.#writer)
      this.#registered = new WeakSet()
    }
    if (!this.#open) {
      await this.#client.query('BEGIN')
      this.#open = true
    }
    return this.#merger as ChangeMerger
  }

  async #rollback(): Promise<void> {
    this.#savepoints = []
    if (!this.#open) return
    this.#open = false
    this.#merger?.discard()
    try {
      await this.#client?.query('ROLLBACK')
    } catch {
      // a connection that cannot roll back is of no further use; the server rolls back at its end
      await this.close()
    }
  }

  async #query(sql: string): Promise<void> {
    await (this.#client as pg.Client).query(sql)
  }
}

function savepoint(subXid: number): string {
  return quoteIdent(`pgferry_sub_${subXid}`)
}
