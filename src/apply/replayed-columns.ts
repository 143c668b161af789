/**
 * Which of the source's current columns each column of an older Relation message has become.
 *
 * A message replayed after a DDL (the apply stopped on it, the user applied the same DDL to the
 * target, the stream restarts from the transaction) describes the table as it was. Its columns are
 * the live ones of that time in attnum order; since then each may have been dropped (its slot is
 * dropped now) or renamed (its slot holds a live column of another name), and columns added since
 * sit after every old slot. Columns matched by name anchor the walk; between two anchors the
 * unmatched message columns and the slots left are paired in order when that is the only reading
 * (all renamed, or all dropped), and anything else is ambiguous: an error, never a guess.
 */
import type { AttributeSlot } from '../catalog/column-names.js'

/** The reading: per message column its name now (`null`: dropped), or why there is none. */
export type ReplayedColumns =
  | { readonly ok: true; readonly now: readonly (string | null)[] }
  | { readonly ok: false; readonly reason: string }

/** Align message column names `message` with the source's attribute slots now. */
export function replayedColumns(
  message: readonly string[],
  slots: readonly AttributeSlot[],
): ReplayedColumns {
  const inMessage = new Set(message)
  const slotOf = new Map<string, number>()
  for (let p = 0; p < slots.length; p++) {
    const name = slots[p]
    if (name !== null && name !== undefined) slotOf.set(name, p)
  }
  const now: (string | null)[] = new Array<string | null>(message.length).fill(null)
  let m = 0
  let from = 0
  while (m <= message.length) {
    // the next message column still live under its name closes the gap
    let next = m
    while (next < message.length && !slotOf.has(message[next] as string)) next++
    const tail = next === message.length
    const to = tail ? slots.length : (slotOf.get(message[next] as string) as number)
    if (to < from) return { ok: false, reason: 'its columns were reordered' }
    const unmatched = next - m
    const live: string[] = []
    let dropped = 0
    for (let p = from; p < to; p++) {
      const name = slots[p]
      if (name === null || name === undefined) dropped++
      else if (!inMessage.has(name)) live.push(name)
    }
    // interior: every live slot left is a renamed message column (added ones come last);
    // tail: live slots are renamed ones first, then added ones
    if (unmatched === 0 && !tail && live.length > 0) {
      return { ok: false, reason: `columns ${live.join(', ')} are not where the message has them` }
    }
    if (unmatched > 0) {
      if (live.length === 0) {
        // all dropped
      } else if (tail ? dropped === 0 && live.length >= unmatched : live.length === unmatched) {
        for (let k = 0; k < unmatched; k++) now[m + k] = live[k] as string
      } else {
        return {
          ok: false,
          reason: `columns ${message.slice(m, next).join(', ')} were dropped or renamed, and which cannot be told`,
        }
      }
    }
    if (tail) break
    now[next] = message[next] as string
    from = to + 1
    m = next + 1
  }
  return { ok: true, now }
}
