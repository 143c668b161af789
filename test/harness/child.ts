/**
 * Helpers to run a TypeScript module in a child Node process (tsx), for tests that cross a process
 * boundary: reopening a task elsewhere, or SIGKILLing a process mid-stage.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { nodeArgsFor } from './child-bundles.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * Start `script` (path relative to the repo root): its bundle from this test run, or with tsx
 * (child-bundles.ts); argv and env are passed through.
 */
export function spawnTs(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  return spawn(process.execPath, [...nodeArgsFor(script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Run `script` to completion; resolves with its stdout, rejects with its stderr on a non-zero exit. */
export function runTs(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const child = spawnTs(script, args, env)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code ?? signal}: ${err}`)),
    )
  })
}

/** Resolve when a line on the child's stdout matches `re`; returns the match. */
export function waitForLine(
  child: ChildProcess,
  re: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got: ${buf}`)),
      timeoutMs,
    )
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const m = buf.match(re)
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
    })
    child.on('exit', () => {
      clearTimeout(timer)
      reject(new Error(`child exited before printing ${re}; got: ${buf}`))
    })
  })
}

/** The lines a child prints on stdout, kept as they come, to wait for one (or a count of them). */
export interface LineWatcher {
  readonly lines: readonly string[]
  /** Everything the child wrote to stderr so far. */
  stderr(): string
  /**
   * Resolve with the first line at index `from` or later for which `match` is true; reject after
   * `timeoutMs`, or when the child exits first.
   */
  until(match: (line: string) => boolean, timeoutMs: number, from?: number): Promise<string>
}

export function watchLines(child: ChildProcess): LineWatcher {
  const lines: string[] = []
  let partial = ''
  let err = ''
  let exited = false
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const w of [...waiters]) w()
  }
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
    wake()
  })
  child.stderr?.on('data', (d: Buffer) => {
    if (err.length < 50_000) err += d.toString()
  })
  child.once('exit', () => {
    exited = true
    wake()
  })
  return {
    lines,
    stderr: () => err,
    until(match, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        let scanned = from
        const check = (): void => {
          for (; scanned < lines.length; scanned++) {
            const line = lines[scanned] as string
            if (match(line)) {
              done()
              resolve(line)
              return
            }
          }
          if (exited) {
            done()
            reject(
              new Error(
                `child exited (${child.exitCode ?? child.signalCode}) before the awaited line; last lines: ${lines.slice(-5).join(' | ')}; stderr: ${err.slice(-2000)}`,
              ),
            )
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(
            new Error(
              `no awaited line within ${timeoutMs} ms; last lines: ${lines.slice(-5).join(' | ')}`,
            ),
          )
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}
