/**
 * EagerApply's commit rule (issue 11): once the transport has let a streamed transaction's spool go
 * at its Stream Commit (replayStreamed said no replay), that transaction can no longer be applied
 * by a replay. Were it given up after that (the apply connection's group waited on one of its
 * locks while committing ahead of it), the Stream Commit must fail the apply, never record the
 * position past a transaction that is on the target nowhere. The transaction here is a stand-in
 * whose lock the apply connection waits on; the apply connection's group is a promise that settles
 * only once the transaction is given up, as a backend waiting on its lock would. On the code before
 * this rule the first case waited forever (the group's commit was not watched) and the second
 * recorded the position past the transaction.
 */
import { describe, expect, it } from 'vitest'
import { PgferryError } from '../../src/errors.js'
import { EagerApply, type EagerHost } from '../../src/apply/eager-apply.js'
import type { EagerTransaction } from '../../src/apply/eager-transaction.js'
import { MessageType, type StreamCommitMessage } from '../../src/wal/pgoutput-messages.js'

const XID = 700

/** A followed transaction that holds a lock the apply backend waits on until it is given up. */
function standIn(): { tx: EagerTransaction; released: Promise<void>; commits: number[] } {
  let xid: number | undefined
  let healthy = false
  let open = false
  let release: () => void = () => undefined
  const released = new Promise<void>((r) => (release = r))
  const commits: number[] = []
  const tx = {
    get xid() {
      return xid
    },
    get open() {
      return open
    },
    follows: (x: number) => healthy && xid === x,
    follow(x: number) {
      xid = x
      healthy = true
      open = true
    },
    blocks: async () => open,
    segmentEnd: async () => undefined,
    abandon: async () => {
      healthy = false
      open = false
      release()
    },
    forget: async () => {
      xid = undefined
      healthy = false
      open = false
      release()
    },
    commit: async () => {
      commits.push(xid as number)
      return { rows: 1, durationMs: 0 }
    },
  }
  return { tx: tx as unknown as EagerTransaction, released, commits }
}

function host(
  commitApply: () => Promise<void>,
  committed: bigint[],
  fellBack: string[],
): EagerHost {
  return {
    startFrom: 0n,
    applyPid: 1,
    progress: {} as EagerHost['progress'],
    plan: () => undefined,
    observed: () => false,
    relation: async () => undefined,
    commitApply,
    applied: () => 0n,
    committed: (endLsn) => committed.push(endLsn),
    fellBack: (_xid, reason) => fellBack.push(reason),
  }
}

const streamCommit: StreamCommitMessage = {
  type: MessageType.StreamCommit,
  xid: XID,
  flags: 0,
  commitLsn: 0x100n,
  endLsn: 0x108n,
  commitTime: 0n,
}

describe('EagerApply: a transaction given up after its spool was let go', () => {
  it('fails the apply at its Stream Commit instead of moving the position past it', async () => {
    const { tx, released, commits } = standIn()
    const committed: bigint[] = []
    const fellBack: string[] = []
    // the apply connection's group: empty at the Stream Start; at the Stream Commit it holds a
    // change that waits on the transaction's lock, so it commits once that lock is gone
    let calls = 0
    const commitApply = (): Promise<void> => (++calls === 1 ? Promise.resolve() : released)
    const eager = new EagerApply(host(commitApply, committed, fellBack), tx)
    await eager.handle({ type: MessageType.StreamStart, xid: XID, firstSegment: true }, 0x10n)
    await eager.handle({ type: MessageType.StreamStop }, 0x20n)
    expect(tx.follows(XID)).toBe(true)
    // the transport lets the spool go
    expect(eager.replayStreamed(XID)).toBe(false)
    expect(eager.follows(streamCommit)).toBe(true)
    const outcome = await Promise.resolve(eager.handle(streamCommit, 0x100n)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(outcome).toBeInstanceOf(PgferryError)
    expect((outcome as PgferryError).code).toBe('PGFERRY_APPLY_FAILED')
    expect((outcome as PgferryError).message).toMatch(/given up at its commit/)
    expect(fellBack.join('\n')).toMatch(/apply connection waits/)
    // nothing recorded past it, and nothing committed for it
    expect(committed).toEqual([])
    expect(commits).toEqual([])
  }, 30_000)

  it('given up by the idle commit between the release of its spool and its Stream Commit: the Stream Commit is still its own, and fails', async () => {
    const { tx, released, commits } = standIn()
    const committed: bigint[] = []
    const fellBack: string[] = []
    const eager = new EagerApply(
      host(async () => undefined, committed, fellBack),
      tx,
    )
    await eager.handle({ type: MessageType.StreamStart, xid: XID, firstSegment: true }, 0x10n)
    await eager.handle({ type: MessageType.StreamStop }, 0x20n)
    expect(eager.replayStreamed(XID)).toBe(false)
    // the idle commit, queued before the Stream Commit, waits on its lock: watched, it gives up
    await eager.watch(released)
    expect(tx.follows(XID)).toBe(false)
    // so the database's apply hands the Stream Commit to it, not to the apply connection (which
    // would find nothing open and record the position past it)
    expect(eager.follows(streamCommit)).toBe(true)
    await expect(Promise.resolve(eager.handle(streamCommit, 0x100n))).rejects.toMatchObject({
      code: 'PGFERRY_APPLY_FAILED',
    })
    expect(committed).toEqual([])
    expect(commits).toEqual([])
  }, 30_000)

  it('commits when the apply connection commits its group without waiting on it', async () => {
    const { tx, commits } = standIn()
    const committed: bigint[] = []
    const eager = new EagerApply(
      host(async () => undefined, committed, []),
      tx,
    )
    await eager.handle({ type: MessageType.StreamStart, xid: XID, firstSegment: true }, 0x10n)
    await eager.handle({ type: MessageType.StreamStop }, 0x20n)
    expect(eager.replayStreamed(XID)).toBe(false)
    await eager.handle(streamCommit, 0x100n)
    expect(commits).toEqual([XID])
    expect(committed).toEqual([0x108n])
  })
})
