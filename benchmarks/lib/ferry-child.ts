/**
 * pgferry's incremental sync in a child Node process (ferry-runner.ts), driven over IPC. The
 * benchmark's own clients, pgbench driver and lag sampling stay in the parent, so the memory
 * reported is pgferry's alone: the figure issue 11's "Node RSS < 200 MB" budget is about.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Cluster } from '../../test/harness/cluster.js'
import { ferrySlotName } from './ferry-task.js'
import type { RunnerCommand, RunnerConfig, RunnerMessage } from './ferry-runner.js'
import { higherPeak, NO_PEAK, type MemoryPeak } from './memory-peak.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '../..')

let bundled: Promise<string> | undefined
/**
 * The runner and the pgferry sources it imports as one plain ESM file, run by plain `node`: under
 * tsx's loader the same process is ~30 MB larger (measured: an idle process 72 vs 41 MB RSS, with
 * pgferry imported 95 vs 62 MB), memory that a user running the published JavaScript never pays.
 * npm packages stay external; the file lives under node_modules/ so that they resolve, named by
 * this process (bench:compare's worktrees share one node_modules) and removed when it exits.
 */
function runnerBundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = path.join(
      ROOT,
      `node_modules/.cache/pgferry-bench/ferry-runner-${process.pid}.mjs`,
    )
    process.once('exit', () => rmSync(outfile, { force: true }))
    await build({
      entryPoints: [path.join(here, 'ferry-runner.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // no source map: Node would hold it in memory (stack traces name the bundle's lines)
      logLevel: 'warning',
    })
    return outfile
  })()
  return bundled
}

export class FerryChild {
  readonly #child: ChildProcess
  readonly #pending = new Map<
    number,
    { resolve(r?: { peak: MemoryPeak; cpuS: number }): void; reject(e: Error): void }
  >()
  #next = 0
  #spanPeak = NO_PEAK
  #spanCpuS = 0
  #exited = false
  /** Called when pgferry's sync fails in the child (a stream or apply error). */
  onFailure: (error: string) => void = (e) => console.error(`pgferry incremental sync failed: ${e}`)

  private constructor(
    child: ChildProcess,
    /** The task's slot on the source. */
    readonly slotName: string,
  ) {
    this.#child = child
  }

  /**
   * Fork the runner, which prepares the task (precheck, schema, full load) and starts the
   * incremental sync; resolves when the sync runs.
   */
  /** The child's process id (0 once it is gone). */
  get pid(): number {
    return this.#child.pid ?? 0
  }

  static async start(source: Cluster, target: Cluster, db: string): Promise<FerryChild> {
    const config: RunnerConfig = {
      source: source.config(db),
      target: target.config('postgres'),
      db,
    }
    const child = fork(await runnerBundle(), [], {
      cwd: ROOT,
      // FERRY_CPU_PROF=<dir>: a V8 CPU profile of pgferry's process, written when it exits;
      // FERRY_NODE_ARGS: more Node flags for it, space-separated (e.g. --trace-gc)
      execArgv: [
        ...(process.env.FERRY_CPU_PROF === undefined
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${process.env.FERRY_CPU_PROF}`]),
        ...(process.env.FERRY_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      ],
      env: { ...process.env, PGFERRY_BENCH_RUNNER: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    // set once the sync runs; the listeners below need it from then on
    const started: { handle?: FerryChild } = {}
    await new Promise<void>((resolve, reject) => {
      child.on('message', (raw) => {
        const m = raw as RunnerMessage
        if (m.kind === 'ready') resolve()
        else if (m.kind === 'failed') {
          if (started.handle === undefined) reject(new Error(`pgferry runner failed: ${m.error}`))
          else started.handle.onFailure(m.error)
        } else started.handle?.settle(m)
      })
      child.on('exit', (code, signal) => {
        reject(new Error(`pgferry runner exited (${code ?? signal}) before its sync started`))
        started.handle?.exited(code, signal)
      })
    })
    try {
      started.handle = new FerryChild(child, await ferrySlotName(source, db))
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    }
    return started.handle
  }

  /** @internal the runner's reply to a command. */
  settle(m: RunnerMessage): void {
    if (m.kind !== 'reply' && m.kind !== 'error') return
    const p = this.#pending.get(m.id)
    this.#pending.delete(m.id)
    if (m.kind === 'error') p?.reject(new Error(`pgferry runner: ${m.error}`))
    else p?.resolve(m.peak === undefined ? undefined : { peak: m.peak, cpuS: m.cpuS ?? NaN })
  }

  /** @internal */
  exited(code: number | null, signal: string | null): void {
    this.#exited = true
    for (const p of this.#pending.values())
      p.reject(new Error(`pgferry runner exited (${code ?? signal})`))
    this.#pending.clear()
  }

  #call(cmd: RunnerCommand): Promise<{ peak: MemoryPeak; cpuS: number } | undefined> {
    if (this.#exited) return Promise.reject(new Error('pgferry runner has exited'))
    const id = ++this.#next
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.send({ id, cmd })
    })
  }

  /** Stop the sync (`sync.stop()`: the slot stays, so `resume` goes on from where it was). */
  async pause(): Promise<void> {
    await this.#call('pause')
  }

  /** Start the sync again (`task.startIncremental()`). */
  async resume(): Promise<void> {
    await this.#call('resume')
  }

  /**
   * Run `fn`, counting the child's memory towards the peak `takePeak` returns, and its CPU seconds
   * towards `takeCpuS`.
   */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    const before = await this.#call('peak') // drops whatever the child reached outside the span
    try {
      return await fn()
    } finally {
      const after = await this.#call('peak').catch(() => undefined)
      if (after !== undefined) {
        this.#spanPeak = higherPeak(this.#spanPeak, after.peak)
        if (before !== undefined) this.#spanCpuS += after.cpuS - before.cpuS
      }
    }
  }

  /** The child's peak memory within `during` spans since the last call. */
  takePeak(): MemoryPeak {
    const p = this.#spanPeak
    this.#spanPeak = NO_PEAK
    return p
  }

  /** The child's CPU seconds (user + system) within `during` spans since the last call. */
  takeCpuS(): number {
    const s = this.#spanCpuS
    this.#spanCpuS = 0
    return s
  }

  /** Stop the sync, close the task and let the child exit. Idempotent. */
  async close(): Promise<void> {
    if (this.#exited) return
    await this.#call('close').catch(() => undefined)
    if (!this.#exited) await new Promise((r) => this.#child.once('exit', r))
  }

  /** End the child at once (after `close` failed to). */
  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL')
  }
}
