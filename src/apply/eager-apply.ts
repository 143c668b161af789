/**
 * Which streamed transaction is applied while it streams, and when to give up on it (issue 11).
 * The transport delivers streamed blocks live and spools them too ('live' in replication-stream.ts);
 * this routes the live messages to the {@link EagerTransaction} and answers, at Stream Commit,
 * whether the spool must be replayed instead.
 *
 * One transaction at a time: the first one whose first segment arrives while none is followed.
 * Before each of its segments the apply connection commits every transaction received before it
 * (they committed on the source before these changes were written, so these changes may depend on
 * them, and must never wait on the apply connection's locks). Transactions that commit while it is
 * open go on through the apply connection: on the source they could not touch its rows either.
 * At its Stream Commit the apply connection commits its group first, then the eager connection
 * commits with the progress (source commit order kept).
 *
 * It is applied at commit instead (the spool replayed, as for any other streamed transaction)
 * when, up front, exactness cannot be decided before the commit or another connection could wait
 * on its locks:
 * - its first change (the position a Stream Start carries: logical.c sets the write location to
 *   the transaction's first LSN) is below the position the stream started from: a resumed stream
 *   may re-send a transaction that is already applied (before v15 the server streams while it
 *   reads below the start point), and only the commit LSN decides that; a transaction that began
 *   at or after it cannot have committed before it;
 * - a table still has a full-load sync LSN the stream has not passed: whether its changes are in
 *   the copy depends on the commit LSN (PostgreSQL's parallel apply waits for every table sync to
 *   be ready, applyparallelworker.c, for the same reason);
 * - a Relation message that changes a table's columns inside it (the plan would change under the
 *   apply connection's);
 * - TRUNCATE (ACCESS EXCLUSIVE: every later change of the table on the apply connection waits);
 * - a GENERATED ALWAYS identity column (relaxing it is an ALTER TABLE, ACCESS EXCLUSIVE too);
 * - a table whose change order the target observes (a trigger or rule firing on replicas, or FK
 *   checks when the replica role could not be set): it may write or lock other rows.
 * And whenever something goes wrong while it is open: a lock wait longer than
 * EAGER_LOCK_TIMEOUT_MS, or any error (the replay meets a real error again, and reports it).
 *
 * REPLICA IDENTITY FULL tables are applied while they stream too. A row of theirs is found by its
 * values, so of two identical rows the target may pick another one than the source did. Within one
 * connection that changes nothing (identical rows are interchangeable), but the source's row locks
 * no longer keep the two connections apart: the apply connection may pick a row this transaction
 * holds, and wait on it. So:
 * - this connection never waits on the apply connection: every segment starts with the apply
 *   connection's group committed (above), and within a segment the stream carries only this
 *   transaction's changes;
 * - before the apply connection UPDATEs or DELETEs in a FULL table this transaction has UPDATEd or
 *   DELETEd in (`yieldTo`), this transaction gives up, so the apply connection never meets one of
 *   its locks there. Relying on `watch` instead would cost EAGER_LOCK_TIMEOUT_MS per such wait, and
 *   a merged change that waits only when the next segment's Stream Start flushes it is not watched.
 *   A transaction that streams while small ones change the same FULL table is applied at commit,
 *   as before; one that has the table to itself (the bulk case) is not.
 */
import {
  MessageType,
  type PgoutputMessage,
  type RelationMessage,
  type StreamCommitMessage,
} from '../wal/pgoutput-messages.js'
import { PgferryError, messageOf } from '../errors.js'
import type { ApplyProgress } from './apply-progress.js'
import {
  EAGER_LOCK_TIMEOUT_MS,
  type EagerCommit,
  type EagerTransaction,
} from './eager-transaction.js'
import type { RelationPlan } from './relation-plan.js'

/** What the eager apply needs of the database's apply. */
export interface EagerHost {
  /** Transactions ending at or below this were on the target when the stream started. */
  readonly startFrom: bigint
  readonly progress: ApplyProgress
  /** The backend pid of the apply connection. */
  readonly applyPid: number
  plan(relationOid: number): RelationPlan | undefined
  /** Whether the target observes the order of the plan's changes (order-observers.ts). */
  observed(plan: RelationPlan): boolean
  /** Build the plan of a relation seen for the first time. */
  relation(m: RelationMessage): Promise<void>
  /** Commit the apply connection's open group, if any. */
  commitApply(): Promise<void>
  /** The end LSN of the last transaction committed on the target. */
  applied(): bigint
  /** The eager transaction ending at `endLsn` is committed. */
  committed(endLsn: bigint, commitTime: bigint, done: EagerCommit): void
  /** The followed transaction is applied at its commit instead, for `reason`. */
  fellBack(xid: number, reason: string): void
}

/** Routes a database's streamed blocks to its eager transaction. */
export class EagerApply {
  readonly #host: EagerHost
  readonly #tx: EagerTransaction
  /** The xid of the streamed block being received (Stream Start … Stream Stop). */
  #block: number | undefined
  /** REPLICA IDENTITY FULL tables (relation oids) the followed transaction UPDATEd or DELETEd in. */
  #matched = new Set<number>()
  /** The xid whose spool the transport let go at its Stream Commit: this connection must commit it. */
  #promised: number | undefined

  constructor(host: EagerHost, tx: EagerTransaction) {
    this.#host = host
    this.#tx = tx
  }

  /** Inside a streamed block: the message belongs to `handle`. */
  get inBlock(): boolean {
    return this.#block !== undefined
  }

  /** The transport asks at Stream Commit: replay the spool unless all of it is applied here. */
  replayStreamed = (xid: number): boolean => {
    if (this.#tx.follows(xid)) {
      this.#promised = xid
      return false
    }
    // given up on earlier: the replay applies it, and another transaction may be followed next
    if (this.#tx.xid === xid) void this.#tx.forget()
    return true
  }

  /**
   * A Stream Commit of the followed transaction (no replay precedes it), or of one whose spool was
   * let go though it was given up since (#commit fails it).
   */
  follows(m: StreamCommitMessage): boolean {
    return this.#tx.follows(m.xid) || this.#promised === m.xid
  }

  /** Stream Start/Stop/Abort, a message inside a streamed block, or the followed Stream Commit. */
  handle(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    const tx = this.#tx
    switch (m.type) {
      case MessageType.StreamStart:
        this.#block = m.xid
        if (tx.xid === undefined && m.firstSegment && walStart >= this.#host.startFrom) {
          tx.follow(m.xid)
          this.#matched.clear()
        }
        // an apply connection that cannot commit fails the apply, as it would without eagerness
        return tx.follows(m.xid) ? this.watch(this.#host.commitApply()) : undefined
      case MessageType.StreamStop: {
        const xid = this.#block
        this.#block = undefined
        return xid !== undefined && tx.follows(xid) ? this.#guard(xid, tx.segmentEnd()) : undefined
      }
      case MessageType.StreamAbort:
        if (m.xid !== tx.xid) return undefined
        if (m.subXid === m.xid) return tx.forget()
        return tx.follows(m.xid) ? this.#guard(m.xid, tx.abortSubtransaction(m.subXid)) : undefined
      case MessageType.StreamCommit:
        return this.#commit(m)
      default:
    }
    const xid = this.#block
    if (xid === undefined || !tx.follows(xid)) return undefined
    switch (m.type) {
      case MessageType.Relation: {
        const known = this.#host.plan(m.relationOid)
        if (known === undefined) return this.#guard(xid, this.#host.relation(m))
        if (!known.sameShape(m))
          return this.#fallBack(xid, `the columns of ${m.schema}.${m.name} change inside it`)
        return undefined
      }
      case MessageType.Insert:
      case MessageType.Update:
      case MessageType.Delete: {
        const plan = this.#host.plan(m.relation.relationOid)
        const unsafe =
          plan === undefined ? 'a change before its Relation' : this.#unsafe(plan, walStart)
        if (unsafe !== undefined || plan === undefined)
          return this.#fallBack(xid, unsafe ?? 'unknown relation')
        if (m.type !== MessageType.Insert && plan.relation.replicaIdentity === 'f')
          this.#matched.add(plan.relation.relationOid)
        return this.#guard(xid, tx.change(m, plan, this.#host.observed(plan)))
      }
      case MessageType.Truncate:
        return this.#fallBack(xid, 'it truncates a table')
      default:
        return undefined
    }
  }

  /**
   * A message for the apply connection: when it UPDATEs or DELETEs in a REPLICA IDENTITY FULL table
   * the followed transaction changed rows of by their values, give that transaction up first (see
   * above), so that neither connection can take one of the other's rows. Undefined when nothing
   * needs doing.
   */
  yieldTo(m: PgoutputMessage): Promise<void> | undefined {
    if (m.type !== MessageType.Update && m.type !== MessageType.Delete) return undefined
    const xid = this.#tx.xid
    if (xid === undefined || !this.#tx.follows(xid) || !this.#matched.has(m.relation.relationOid))
      return undefined
    const { schema, name } = m.relation
    return this.#fallBack(
      xid,
      `a transaction committed meanwhile changes rows of ${schema}.${name}, a REPLICA IDENTITY FULL table it changes too`,
    )
  }

  /**
   * Work of the apply connection while the eager transaction is open. Were it to wait on one of
   * the eager transaction's locks (the target orders something otherwise than the source did),
   * neither could go on: the eager connection only moves once the apply connection's work is
   * done. So after EAGER_LOCK_TIMEOUT_MS the eager connection, idle meanwhile, asks whether it
   * blocks the apply backend, and if so gives up on its transaction, which lets the work go on.
   */
  watch(work: Promise<void>): Promise<void> {
    const xid = this.#tx.xid
    if (xid === undefined || !this.#tx.open) return work
    let timer: NodeJS.Timeout | undefined
    let done = false
    const arm = (): void => {
      timer = setTimeout(() => {
        this.#tx.blocks(this.#host.applyPid).then(
          (blocks) => {
            if (done) return
            if (blocks) void this.#fallBack(xid, 'the apply connection waits on one of its locks')
            else arm()
          },
          () => undefined,
        )
      }, EAGER_LOCK_TIMEOUT_MS)
      timer.unref()
    }
    arm()
    return work.finally(() => {
      done = true
      clearTimeout(timer)
    })
  }

  #unsafe(plan: RelationPlan, walStart: bigint): string | undefined {
    // a change's position (its own LSN) past the sync LSN means a commit past it too
    if (plan.syncLsn !== 0n && walStart <= plan.syncLsn)
      return `${plan.label} is still before its full-load sync position`
    if (plan.alwaysIdentity.length > 0) return `${plan.label} has a GENERATED ALWAYS identity`
    if (this.#host.observed(plan))
      return `the target observes the order of ${plan.label}'s changes (a trigger, rule or FK check fires)`
    return undefined
  }

  /**
   * The followed transaction's Stream Commit. The apply connection commits its group first; were
   * it to wait on this transaction's locks meanwhile (a target-only unique index orders them
   * otherwise), `watch` gives this transaction up, and as the transport has let its spool go, no
   * replay can apply it any more: the apply fails instead of recording the position past it, and
   * the next start streams it again from the recorded progress (as a transaction that began before
   * that position, it is then replayed at its commit).
   */
  async #commit(m: StreamCommitMessage): Promise<void> {
    try {
      await this.watch(this.#host.commitApply())
    } finally {
      if (this.#promised === m.xid) this.#promised = undefined
    }
    if (!this.#tx.follows(m.xid)) {
      throw new PgferryError(
        'PGFERRY_APPLY_FAILED',
        `streamed transaction ${m.xid} was given up at its commit, after its spooled copy was released; nothing of it is on the target and the position was not moved past it`,
        {
          fix: 'call startIncremental(task) again: the stream resumes from the progress recorded on the target and applies the transaction at its commit',
          cliFix:
            'run pgferry resume <task id>: the stream resumes from the progress recorded on the target and applies the transaction at its commit',
        },
      )
    }
    const done = await this.#tx.commit(
      this.#host.progress,
      m.endLsn,
      m.commitTime,
      this.#host.applied(),
    )
    this.#host.committed(m.endLsn, m.commitTime, done)
  }

  /** Any failure of `work` gives up on the transaction instead of failing the apply. */
  #guard(xid: number, work: Promise<void> | undefined): Promise<void> | undefined {
    return work?.catch((error: unknown) => this.#fallBack(xid, messageOf(error)))
  }

  async #fallBack(xid: number, reason: string): Promise<void> {
    await this.#tx.abandon()
    this.#host.fellBack(xid, reason)
  }
}
