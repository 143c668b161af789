/**
 * CPU seconds from /proc, for figures that a shared, loaded machine distorts less than wall time
 * (issue 13: "measure where the time goes with CPU seconds per server backend, not wall time").
 *
 * - {@link processCpu}: one process (a backend, by its pid), user + system.
 * - {@link clusterCpu}: a whole PostgreSQL cluster: the postmaster, the children it has reaped
 *   (their time is in its cutime/cstime: backends that exited count too) and its live children.
 *   Take it before and after a phase; the difference is what the cluster spent on the phase
 *   (background processes included: the WAL writer, the checkpointer).
 */
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc's times (`getconf CLK_TCK`, 100 on Linux). */
const TICKS = 100

interface Stat {
  readonly ppid: number
  readonly own: number
  readonly reaped: number
}

function stat(pid: number): Stat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // the command (field 2) may hold spaces and parentheses: the fields after its last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const n = (i: number): number => Number(f[i] ?? 0)
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17
  return { ppid: n(1), own: n(11) + n(12), reaped: n(13) + n(14) }
}

/** CPU seconds process `pid` has used so far (0 once it is gone). */
export function processCpu(pid: number): number {
  return (stat(pid)?.own ?? 0) / TICKS
}

/** CPU seconds the cluster whose postmaster is `pid` has used so far, exited backends included. */
export function clusterCpu(pid: number): number {
  const root = stat(pid)
  if (root === undefined) return 0
  let ticks = root.own + root.reaped
  for (const name of readdirSync('/proc')) {
    const child = Number(name)
    if (!Number.isInteger(child) || child === pid) continue
    const s = stat(child)
    if (s?.ppid === pid) ticks += s.own
  }
  return ticks / TICKS
}

/** CPU seconds this Node process has used so far. */
export function nodeCpu(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
