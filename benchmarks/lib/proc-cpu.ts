/**
 * CPU seconds of groups of processes over a span, read from /proc (Linux): utime + stime of every
 * process a classifier puts in a group. Sampled every `intervalMs` while the span runs, keeping each
 * process's last value, so a backend that ends within the span still counts (up to its last sample).
 * A process already alive when the span starts counts from its value then; one born later from 0.
 */
import { readFileSync, readdirSync } from 'node:fs'

const TICK = 100 // clock ticks per second on Linux

/** The group of a process (pid, parent pid, its command line as the kernel shows it), or undefined. */
export type Classify = (pid: number, ppid: number, cmdline: string) => string | undefined

interface Seen {
  readonly group: string
  readonly first: number
  last: number
}

export class ProcCpu {
  readonly #classify: Classify
  readonly #seen = new Map<number, Seen>()
  #timer: NodeJS.Timeout | undefined
  #started = false

  constructor(
    classify: Classify,
    readonly intervalMs = 100,
  ) {
    this.#classify = classify
  }

  /** Begin the span: every matching process alive now counts from its present value. */
  start(): void {
    this.#seen.clear()
    this.#started = false
    this.#sample()
    this.#started = true
    this.#timer = setInterval(() => this.#sample(), this.intervalMs)
    this.#timer.unref()
  }

  /** CPU seconds per group since `start`, the span going on. */
  mark(): Record<string, number> {
    this.#sample()
    return this.#totals()
  }

  /** End the span: CPU seconds per group. */
  stop(): Record<string, number> {
    clearInterval(this.#timer)
    this.#sample()
    return this.#totals()
  }

  #totals(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const s of this.#seen.values()) out[s.group] = (out[s.group] ?? 0) + (s.last - s.first)
    return out
  }

  #sample(): void {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue
      const pid = Number(d)
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        const cpu = (Number(f[11]) + Number(f[12])) / TICK
        const known = this.#seen.get(pid)
        if (known !== undefined) {
          known.last = cpu
          continue
        }
        const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ')
        const group = this.#classify(pid, Number(f[1]), cmdline)
        if (group !== undefined)
          this.#seen.set(pid, { group, first: this.#started ? 0 : cpu, last: cpu })
      } catch {
        /* gone between readdir and read */
      }
    }
  }
}
