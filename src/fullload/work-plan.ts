/**
 * Work planning: which tables are copied, in which pieces, in which order. Tables go largest
 * first so the longest one starts at once; a table above the split size becomes several chunks
 * of about that size: ctid block ranges on v14+ heap tables with two or more main-fork blocks
 * (TID range scans), else ranges of a unique NOT NULL integer column (a TOAST-heavy table too),
 * else one piece. Partitions are units of their own; a partitioned parent has no rows to copy.
 */
import { quoteIdent } from '../pg/quote.js'
import {
  DEFAULT_SPLIT_TABLES_LARGER_THAN,
  DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX,
} from '../model/resolved-config.js'

/** One piece of a table's rows. */
export interface ChunkPlan {
  /** 0-based. */
  readonly index: number
  /** Chunks of the table in this plan. */
  readonly count: number
  /** SQL condition selecting the piece, or undefined for the whole table. */
  readonly where: string | undefined
}

/** What splitting a table can use. */
export interface SplitInput {
  readonly bytes: number
  /** Heap blocks, when ctid ranges are possible (v14+ heap table). */
  readonly ctidBlocks: number | undefined
  /** A unique NOT NULL integer column and its bounds under the snapshot. */
  readonly intKey:
    { readonly column: string; readonly min: bigint; readonly max: bigint } | undefined
}

/**
 * The split size of a load that names none: one lane's share of the bytes to copy
 * (`loadBytes / parallelism`), kept between 256 MiB and 4 GiB. A table is split only when it alone
 * would keep a lane busy past the others' share; the rest travel whole, as `COPY table` (a seq
 * scan through a small ring of the source's buffers) with COPY FREEZE. Measured in bench:fullload
 * (1.5 GB, parallelism 2, PostgreSQL 15; three rounds, same clusters): no table split 20.97,
 * 19.64, 23.05 s against 24.15, 22.67, 26.42 s with every table over 256 MiB in chunks (source CPU
 * 4.8-6.1 s against 9.5-12.1 s), pgcopydb 23.11, 24.43, 24.43 s.
 * @public
 */
export function autoSplitSize(loadBytes: number, parallelism: number): number {
  const share = Math.ceil(loadBytes / Math.max(1, parallelism))
  return Math.min(
    DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX,
    Math.max(DEFAULT_SPLIT_TABLES_LARGER_THAN, share),
  )
}

/** Number of chunks for a table of `bytes` (1 when splitting is off or the table is small). */
export function chunkCount(bytes: number, splitSize: number): number {
  if (splitSize <= 0 || bytes <= splitSize) return 1
  return Math.ceil(bytes / splitSize)
}

/**
 * Whether ctid ranges can split a table: a v14+ heap table with at least two blocks in its main
 * fork. A table whose bytes are in TOAST (wide values stored out of line) has few main-fork blocks
 * however large it is, so its integer key is the way to split it.
 */
export function ctidCanSplit(ctidBlocks: number | undefined): boolean {
  return ctidBlocks !== undefined && ctidBlocks >= 2
}

/** What {@link notSplitReason} reads. */
export interface NotSplitFacts {
  readonly sourceVersion: number
  /** Main-fork blocks of a heap table; undefined for another access method. */
  readonly heapBlocks: number | undefined
  /** The unique NOT NULL integer column, if any (its range then held at most one value). */
  readonly intKey: string | undefined
}

/** Why a table above the split size is copied in one piece, in the words of the warning. */
export function notSplitReason(f: NotSplitFacts): string {
  const ctid =
    f.sourceVersion < 140000
      ? 'ctid ranges need a v14+ source'
      : f.heapBlocks === undefined
        ? 'it is not a heap table, so it has no ctid ranges'
        : `its main fork has ${f.heapBlocks} block${f.heapBlocks === 1 ? '' : 's'}, too few for ctid ranges (its size is in TOAST or indexes)`
  const key =
    f.intKey === undefined
      ? 'it has no unique NOT NULL integer column'
      : `its integer key ${f.intKey} holds at most one value`
  return `${ctid}, and ${key}`
}

/** Split a table; the first chunk is open below and the last open above, so no row escapes. */
export function planChunks(input: SplitInput, splitSize: number): ChunkPlan[] {
  const wanted = chunkCount(input.bytes, splitSize)
  const whole: ChunkPlan[] = [{ index: 0, count: 1, where: undefined }]
  if (wanted <= 1) return whole
  if (input.ctidBlocks !== undefined && ctidCanSplit(input.ctidBlocks)) {
    const n = Math.min(wanted, input.ctidBlocks)
    const step = Math.ceil(input.ctidBlocks / n)
    const bounds: string[] = []
    for (let i = 1; i * step < input.ctidBlocks; i++) bounds.push(`'(${i * step},0)'::tid`)
    return ranges('ctid', bounds)
  }
  if (input.intKey !== undefined && input.intKey.max > input.intKey.min) {
    const { min, max } = input.intKey
    const span = max - min + 1n
    const n = BigInt(wanted) > span ? span : BigInt(wanted)
    const step = (span + n - 1n) / n
    const bounds: string[] = []
    for (let b = min + step; b <= max; b += step) bounds.push(b.toString())
    return ranges(quoteIdent(input.intKey.column), bounds)
  }
  return whole
}

function ranges(column: string, bounds: readonly string[]): ChunkPlan[] {
  const count = bounds.length + 1
  const out: ChunkPlan[] = []
  for (let i = 0; i < count; i++) {
    const lo = i === 0 ? undefined : bounds[i - 1]
    const hi = bounds[i]
    const parts: string[] = []
    if (lo !== undefined) parts.push(`${column} >= ${lo}`)
    if (hi !== undefined) parts.push(`${column} < ${hi}`)
    out.push({ index: i, count, where: parts.join(' AND ') })
  }
  return out
}

/** Largest first; ties by name so plans are stable. */
export function largestFirst<T extends { readonly bytes: number; readonly key: string }>(
  units: readonly T[],
): T[] {
  return [...units].sort(
    (a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  )
}
