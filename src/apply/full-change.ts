/**
 * An UPDATE or DELETE of a REPLICA IDENTITY FULL table as its run takes it (ChangeWriter): which
 * new columns it sets, the old image it names its row by, and numbers for both images.
 *
 * Per row this is the apply's hottest path on such a table (issue 11: Node's CPU after the
 * source's COMMIT is what a 1M-row FULL UPDATE waits on), so it decodes each value it needs once:
 * old and new columns are compared as sent (kind and bytes), the old image is decoded once, and the
 * change's shape (its SET and matched columns, the statement's key) comes from a per-plan cache
 * keyed by a number built from the two masks, not from strings and arrays built for every row, and
 * its images are named by small numbers (imageNumbers).
 */
import { TupleKind, type TupleData } from '../wal/pgoutput-messages.js'
import type { FullShape, RelationPlan } from './relation-plan.js'

/** A FULL change's parts: the shape, the SET values (UPDATE), and the old image by column. */
export interface FullChange {
  readonly shape: FullShape
  /** The new values of `shape.sets`, in order. */
  readonly values: (string | null)[]
  /** By column index: the old value (null: NULL), or undefined where not matched (not sent). */
  readonly image: (string | null | undefined)[]
  /** An UPDATE's old and new images as numbers (imageNumbers); 0 for a DELETE. */
  readonly old: number
  readonly made: number
}

const FNV_PRIME = 0x01000193

/** Masks of up to this many columns make a numeric cache key (two masks in 2^52). */
const NUMERIC_MASK_COLUMNS = 26

/** A column sent with a value, in text or binary format. */
function valued(kind: number): boolean {
  return kind === TupleKind.Text || kind === TupleKind.Binary
}

/**
 * Column `i` was sent alike in both tuples: both NULL, or both a value (text or binary format: the
 * apply asks for text, and pgoutput picks one format per type) with the same bytes. Bytes, not
 * decoded text: two invalid UTF-8 sequences that decode alike count as a change, and the column is
 * set to the text it already has (found by a fuzz against the old text rule; harmless).
 */
function sentAlike(a: TupleData, b: TupleData, i: number): boolean {
  const k = i * 3
  const la = a.layout
  const lb = b.layout
  const kind = la[k]
  const other = lb[k]
  if (kind === undefined || other === undefined) return false
  if (!valued(kind) || !valued(other)) return kind === other && kind === TupleKind.Null
  const len = la[k + 2] as number
  if (lb[k + 2] !== len) return false
  const sa = la[k + 1] as number
  const sb = lb[k + 1] as number
  const ba = a.buffer
  const bb = b.buffer
  if (len > 64) return ba.compare(bb, sb, sb + len, sa, sa + len) === 0
  for (let j = 0; j < len; j++) if (ba[sa + j] !== bb[sb + j]) return false
  return true
}

/**
 * The old image by column: written columns as sent (undefined: unchanged TOAST, or not in the
 * tuple), others undefined; and the mask of the columns it holds (bit i: a value or NULL).
 */
function oldImage(
  plan: RelationPlan,
  before: TupleData,
): { image: (string | null | undefined)[]; held: number } {
  const n = plan.columns.length
  const image = new Array<string | null | undefined>(n)
  let held = 0
  for (let i = 0; i < n; i++) {
    const v = plan.isWritten(i) ? before.text(i) : undefined
    image[i] = v
    if (v !== undefined && i < NUMERIC_MASK_COLUMNS) held += 2 ** i
  }
  return { image, held }
}

/** The shape of a change: cached on the plan by its masks, built from them the first time. */
function shapeOf(
  plan: RelationPlan,
  kind: 'U' | 'D',
  setMask: readonly boolean[],
  setBits: number,
  image: readonly (string | null | undefined)[],
  held: number,
): FullShape {
  const n = image.length
  const key =
    n <= NUMERIC_MASK_COLUMNS
      ? (kind === 'U' ? setBits + 1 : 0) * 2 ** NUMERIC_MASK_COLUMNS + held
      : `${kind}${setMask.map((s) => (s ? 's' : 'u')).join('')}:${image.map((v) => (v === undefined ? 'u' : 'v')).join('')}`
  return plan.fullShape(key, () => {
    const sets: number[] = []
    const match: number[] = []
    let mask = ''
    let presence = ''
    for (let i = 0; i < n; i++) {
      if (kind === 'U') mask += setMask[i] === true ? 's' : 'u'
      if (setMask[i] === true) sets.push(i)
      presence += image[i] === undefined ? 'u' : 'v'
      if (image[i] !== undefined) match.push(i)
    }
    return { shape: kind === 'U' ? `F${mask}:${presence}` : `FD:${presence}`, sets, match }
  })
}

/**
 * An UPDATE with the whole old row: undefined when it sets nothing (only unchanged values: the row
 * stays as it is); a change whose image holds no column goes row by row (`shape.match` empty).
 * A column is set when it is written, was sent with a value or NULL, and differs from the old one.
 */
export function fullUpdate(
  plan: RelationPlan,
  before: TupleData,
  after: TupleData,
): FullChange | undefined {
  const n = plan.columns.length
  const setMask = new Array<boolean>(n)
  const values: (string | null)[] = []
  let setBits = 0
  for (let i = 0; i < n; i++) {
    const kind = after.layout[i * 3]
    const set =
      kind !== undefined &&
      kind !== TupleKind.Unchanged &&
      plan.isWritten(i) &&
      !sentAlike(before, after, i)
    setMask[i] = set
    if (!set) continue
    values.push(after.text(i) as string | null)
    if (i < NUMERIC_MASK_COLUMNS) setBits += 2 ** i
  }
  if (values.length === 0) return undefined
  const { image, held } = oldImage(plan, before)
  const shape = shapeOf(plan, 'U', setMask, setBits, image, held)
  const { old, made } = imageNumbers(image, shape.sets, values)
  return { shape, values, image, old, made }
}

/** A DELETE with the whole old row (`shape.match` empty: no column to match by). */
export function fullDelete(plan: RelationPlan, before: TupleData): FullChange {
  const { image, held } = oldImage(plan, before)
  return { shape: shapeOf(plan, 'D', [], 0, image, held), values: [], image, old: 0, made: 0 }
}

/**
 * The numbers of an UPDATE's old image and of its new one (the image with `sets` replaced by
 * `values`), for a run to tell whether a later change's old image is a new image it holds
 * (ChangeRun.seen): equal images always give equal numbers. Unequal ones give the same number
 * rarely (31 bits: a 10,000-row run meets one by chance about once in 40 runs), and the cost of
 * one is a run ended early, never a wrong row. Both come from one pass over the values, as small
 * integers that a Set holds without allocating, where joined strings copied every value twice more.
 */
function imageNumbers(
  image: readonly (string | null | undefined)[],
  sets: readonly number[],
  values: readonly (string | null)[],
): { old: number; made: number } {
  let old = 0x811c9dc5
  let made = 0x811c9dc5
  let k = 0
  for (let i = 0; i < image.length; i++) {
    const v = image[i]
    let w = v
    if (sets[k] === i) {
      if (v !== undefined) w = values[k] ?? null
      k++
    }
    if (w !== v) {
      old = mix(old, v)
      made = mix(made, w)
      continue
    }
    // the same value in both images (every column an UPDATE does not set): one pass for both
    const tag = v === undefined ? 1 : v === null ? 2 : 3 + v.length
    old = Math.imul(old ^ tag, FNV_PRIME)
    made = Math.imul(made ^ tag, FNV_PRIME)
    if (typeof v !== 'string') continue
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j)
      old = Math.imul(old ^ c, FNV_PRIME)
      made = Math.imul(made ^ c, FNV_PRIME)
    }
  }
  return { old: finish(old), made: finish(made) }
}

/** FNV-1a over a value: its kind and length, then its characters. */
function mix(h: number, v: string | null | undefined): number {
  h = Math.imul(h ^ (v === undefined ? 1 : v === null ? 2 : 3 + v.length), FNV_PRIME)
  if (typeof v !== 'string') return h
  for (let j = 0; j < v.length; j++) h = Math.imul(h ^ v.charCodeAt(j), FNV_PRIME)
  return h
}

/** Spread the bits, and keep 31 of them: a small integer (Smi) on every V8 build. */
function finish(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h >> 1
}

/** The number of an image alone (imageNumbers' old image). */
export function imageNumber(image: readonly (string | null | undefined)[]): number {
  return imageNumbers(image, [], []).old
}
