/**
 * Helpers to run a TypeScript module in a child Node process (tsx), for tests that cross a process
 * boundary: reopening a task elsewhere, or SIGKILLing a process mid-stage.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Start `script` (path relative to the repo root) with tsx; argv and env are passed through. */
export function spawnTs(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
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
