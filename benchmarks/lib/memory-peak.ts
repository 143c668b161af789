/**
 * The peak of a process's resident memory, with `process.memoryUsage()`'s breakdown at that
 * moment: when pgferry is over its budget, the breakdown says whether the V8 heap (objects,
 * strings) or memory outside it (Buffers: socket reads, spool, COPY data) holds it.
 */
import v8 from 'node:v8'

export interface MemoryPeak {
  /** Resident set size, MB. */
  readonly rssMb: number
  /** V8 heap in use, MB. */
  readonly heapUsedMb: number
  /** V8 heap reserved, MB. */
  readonly heapTotalMb: number
  /** C++ objects bound to JS ones, Buffers included, MB. */
  readonly externalMb: number
  /** ArrayBuffers and Buffers (a part of `external`), MB. */
  readonly arrayBuffersMb: number
  /** V8's young generation (new space, both semi-spaces reserved), MB used/reserved. */
  readonly newSpaceMb?: readonly [number, number]
  /** V8's old generation (old and large-object spaces), MB used/reserved. */
  readonly oldSpaceMb?: readonly [number, number]
}

export const NO_PEAK: MemoryPeak = {
  rssMb: 0,
  heapUsedMb: 0,
  heapTotalMb: 0,
  externalMb: 0,
  arrayBuffersMb: 0,
}

const MB = 1048576

/** This process's memory now, with V8's young and old generations apart. */
export function memoryNow(): MemoryPeak {
  const m = process.memoryUsage()
  const young: [number, number] = [0, 0]
  const old: [number, number] = [0, 0]
  for (const s of v8.getHeapSpaceStatistics()) {
    const into = s.space_name.startsWith('new_')
      ? young
      : s.space_name.startsWith('code')
        ? undefined
        : old
    if (into === undefined) continue
    into[0] += s.space_used_size / MB
    into[1] += s.space_size / MB
  }
  return {
    rssMb: m.rss / MB,
    heapUsedMb: m.heapUsed / MB,
    heapTotalMb: m.heapTotal / MB,
    externalMb: m.external / MB,
    arrayBuffersMb: m.arrayBuffers / MB,
    newSpaceMb: young,
    oldSpaceMb: old,
  }
}

/** The higher of two peaks by RSS, breakdown included. */
export const higherPeak = (a: MemoryPeak, b: MemoryPeak): MemoryPeak => (b.rssMb > a.rssMb ? b : a)

/** RESULT fields: `rss_mb` and, at that peak, `heap_mb` (used/total) and `external_mb` (of which buffers). */
export function peakFields(p: MemoryPeak): string {
  if (p.rssMb === 0) return 'rss_mb=nan'
  const r = (x: number): number => Math.round(x)
  return `rss_mb=${r(p.rssMb)} heap_mb=${r(p.heapUsedMb)}/${r(p.heapTotalMb)} external_mb=${r(p.externalMb)} buffers_mb=${r(p.arrayBuffersMb)}`
}

/** `young_mb` and `old_mb` (used/reserved) at the peak: which V8 generation holds the heap. */
export function spaceFields(p: MemoryPeak): string {
  const pair = (v: readonly [number, number] | undefined): string =>
    v === undefined ? 'nan' : `${Math.round(v[0])}/${Math.round(v[1])}`
  return `young_mb=${pair(p.newSpaceMb)} old_mb=${pair(p.oldSpaceMb)}`
}
