/**
 * While a sync runs, which of the rows found to differ differ for certain: one rule for a keyed
 * table's rows (by key) and a keyless table's row hashes (by count), issue 13.
 *
 * Each round: the source's position (from), a wait until the target applied past it, the target's
 * side, the source's side, the source's position again (to), a wait until the target applied past
 * that (the next round's `from` is this round's `to`, already applied past: one wait per round,
 * each as long as the sync's backlog then takes to apply). Both reads then stand at positions in
 * [from, to]: the target holds every commit up to from and none the source had not made when it
 * was read. The stream's record of the table's changes in
 * (from, to] (apply/row-watch.ts) names the rows that changed in between. A row that differs and
 * that no change in (from, to] touched differs for certain: its source side was one and the same
 * at every position either read could stand at. One that changed is read again next round (a row
 * the writer keeps changing is never reported: it cannot be told apart from lag, and each change
 * the sync applies rewrites it on the target anyway).
 *
 * Two equal reads of the source around the target's are no proof of "no change": a row changed and
 * changed back between them (an ABA) leaves them equal while the target, read in between, holds
 * the middle state, the false alarm of the bracket rule this replaces (test: verify-forced.test.ts).
 */
import type { RowWatch, WatchedChanges } from '../apply/row-watch.js'
import { parseLsn } from '../wal/lsn.js'
import type { Lane } from './verify-lanes.js'
import { CURRENT_LSN_SQL, type CheckEnv, type CheckedTable } from './table-check.js'

/** Rounds before a row that keeps changing is given up (not reported). */
export const MAX_CONFIRM_ROUNDS = 5

/** A row's two sides as the confirming round read them. */
export interface ConfirmedPair<V> {
  readonly source: V | undefined
  readonly target: V | undefined
}

/** How one kind of table reads and compares its rows (by an id: a key, or a row hash). */
export interface ConfirmSides<V> {
  /** The rows of `ids` on `side` (more may come back: a keyless read returns whole buckets). */
  read(lane: Lane, side: 'source' | 'target', ids: readonly string[]): Promise<Map<string, V>>
  /** The ids the changes' row images touch; `undefined` when that cannot be told. */
  touched(lane: Lane, seen: WatchedChanges): Promise<Set<string> | undefined>
  /** Whether the two sides of a row agree. */
  same(source: V | undefined, target: V | undefined): boolean
}

/** Of `ids`, those that differ for certain, with both sides as read then. */
export async function confirmRounds<V>(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  ids: readonly string[],
  sides: ConfirmSides<V>,
): Promise<Map<string, ConfirmedPair<V>>> {
  const settle = env.settle
  const confirmed = new Map<string, ConfirmedPair<V>>()
  let open = new Set(ids)
  // each round's watch is opened before the round's `from` is read, so it holds every change
  // after `from`; a round starts where the last one ended (`to`, which the target has applied
  // past): one wait for the sync per round
  let watch = settle === undefined ? undefined : env.watch?.(t.oid)
  let next: RowWatch | undefined
  let from: string | undefined
  try {
    for (let round = 0; round < MAX_CONFIRM_ROUNDS && open.size > 0; round++) {
      env.signal.throwIfAborted()
      if (settle === undefined || watch === undefined) break
      if (from === undefined) {
        from = await sourceLsn(lane)
        await settle(from)
      }
      const target = await sides.read(lane, 'target', [...open])
      const source = await sides.read(lane, 'source', [...open])
      next = env.watch?.(t.oid)
      const to = await sourceLsn(lane)
      await settle(to)
      const seen = watch.between(parseLsn(from), parseLsn(to))
      watch.close()
      ;[watch, next, from] = [next, undefined, to]
      const touched = seen.opaque ? undefined : await sides.touched(lane, seen)
      if (touched === undefined) continue
      const again = new Set<string>()
      // a row that differs now may be new to this round: a difference is one whatever round finds it
      for (const id of new Set([...open, ...target.keys(), ...source.keys()])) {
        const pair = { source: source.get(id), target: target.get(id) }
        if (confirmed.has(id) || sides.same(pair.source, pair.target)) continue
        if (touched.has(id)) again.add(id)
        else confirmed.set(id, pair)
      }
      open = again
    }
  } finally {
    watch?.close()
    next?.close()
  }
  return confirmed
}

async function sourceLsn(lane: Lane): Promise<string> {
  return (await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? '0/0'
}
