/**
 * CPU seconds of processes from /proc (Linux): one process, or a server's whole process tree
 * including the backends that ended during the measurement. A backend's utime+stime vanishes with
 * it, so reading the live children at the start and the end misses every backend that came and
 * went in between (a COPY session of one chunk, a worker's connection): a floor. The sampler here
 * reads them every `intervalMs` (default 200) and keeps each process's last reading, keyed by pid
 * and start time (a reused pid is another process); what a backend spent after its last sample
 * (at most one interval) and a backend that lived less than one interval are still missed.
 */
import { readFileSync, readdirSync } from 'node:fs'

/** Clock ticks per second (USER_HZ; 100 on every Linux this runs on). */
const TICK = 100

interface Stat {
  readonly ppid: number
  readonly start: string
  readonly cpu: number
}

function statOf(pid: number): Stat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields after the name, counting from 0 = state: ppid 1, utime 11, stime 12, starttime 19
    return { ppid: Number(f[1]), start: f[19] ?? '', cpu: (Number(f[11]) + Number(f[12])) / TICK }
  } catch {
    return undefined
  }
}

/** utime + stime of a process, in seconds (0 when it is gone). */
export function cpuOf(pid: number): number {
  return statOf(pid)?.cpu ?? 0
}

/** Samples the CPU of process trees (a postmaster and its children) until `stop()`. */
export class TreeCpuSampler {
  readonly #roots: readonly number[]
  /** Per root: `pid:start` → [reading at the start (0 for a later process), last reading]. */
  readonly #seen: Map<string, [number, number]>[]
  readonly #timer: NodeJS.Timeout
  /** CPU this process spent sampling (to take off its own figure). */
  #selfMicros = 0

  constructor(roots: readonly number[], intervalMs = 200) {
    this.#roots = roots
    this.#seen = roots.map(() => new Map())
    this.#sample(true)
    this.#timer = setInterval(() => this.#sample(false), intervalMs)
  }

  #sample(first: boolean): void {
    const before = process.cpuUsage()
    const rootIndex = new Map(this.#roots.map((r, i) => [r, i]))
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue
      const pid = Number(d)
      const s = statOf(pid)
      if (s === undefined) continue
      const i = rootIndex.get(pid) ?? rootIndex.get(s.ppid)
      if (i === undefined) continue
      const seen = this.#seen[i] as Map<string, [number, number]>
      const key = `${pid}:${s.start}`
      const had = seen.get(key)
      seen.set(key, [had?.[0] ?? (first ? s.cpu : 0), s.cpu])
    }
    const used = process.cpuUsage(before)
    this.#selfMicros += used.user + used.system
  }

  /** Stop sampling (after one last sample); CPU seconds per root since the sampler started. */
  stop(): number[] {
    clearInterval(this.#timer)
    this.#sample(false)
    return this.#seen.map((seen) => {
      let sum = 0
      for (const [start, last] of seen.values()) sum += last - start
      return sum
    })
  }

  /** Microseconds of CPU this process spent sampling. */
  get selfMicros(): number {
    return this.#selfMicros
  }
}
