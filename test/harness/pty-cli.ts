/**
 * The `pgferry` CLI in a pseudo-terminal (issue 14): stdout is a TTY, so the CLI draws its live
 * progress line as a person sees it, and Ctrl-C is the byte 0x03 typed into the terminal (the line
 * discipline turns it into SIGINT for the CLI's process group), not a signal sent by the test.
 * `@lydell/node-pty` ships a prebuilt linux-x64 binary in a registry package: no compiler or
 * download at install.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawn, type IPty } from '@lydell/node-pty'
import { nodeArgsFor } from './child-bundles.js'
import { CLI } from './cli.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** How a pty run ended. */
export interface PtyExit {
  readonly exitCode: number
  readonly signal: number | undefined
}

/** One CLI process in its own pseudo-terminal. */
export class PtyCli {
  readonly #pty: IPty
  #output = ''
  readonly #waiters = new Set<() => void>()
  /** Resolves when the process exits. */
  readonly exited: Promise<PtyExit>

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.#pty = spawn(process.execPath, [...nodeArgsFor(CLI), ...args], {
      name: 'xterm',
      cols: 200,
      rows: 50,
      cwd: ROOT,
      env: { ...process.env, ...env } as Record<string, string>,
    })
    this.#pty.onData((d) => {
      this.#output += d
      for (const w of this.#waiters) w()
    })
    this.exited = new Promise((resolve) =>
      this.#pty.onExit((e) => {
        resolve({ exitCode: e.exitCode, signal: e.signal })
        for (const w of this.#waiters) w()
      }),
    )
  }

  /** The CLI's process id. */
  get pid(): number {
    return this.#pty.pid
  }

  /** Everything the terminal showed so far, control sequences included. */
  get output(): string {
    return this.#output
  }

  /**
   * Resolve with the first match of `re` in the output; reject after `timeoutMs` (a bound on a
   * very slow machine, not a timing assertion) or when the process exits without printing it.
   */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    let exited = false
    void this.exited.then(() => (exited = true))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no ${String(re)} in ${timeoutMs} ms`)),
        timeoutMs,
      )
      const check = (): void => {
        const m = this.#output.match(re)
        if (m !== null) done(undefined, m)
        else if (exited) done(new Error(`exited before printing ${String(re)}`))
      }
      const done = (error: Error | undefined, m?: RegExpMatchArray): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        if (m !== undefined) resolve(m)
        else reject(new Error(`${error?.message ?? ''}; the terminal showed:\n${this.#output}`))
      }
      this.#waiters.add(check)
      check()
    })
  }

  /** Type `text` into the terminal (`\r` is Enter). */
  type(text: string): void {
    this.#pty.write(text)
  }

  /** Type Ctrl-C into the terminal. */
  interrupt(): void {
    this.#pty.write('\x03')
  }

  /** Send `signal` to the CLI's process. */
  kill(signal: NodeJS.Signals): void {
    this.#pty.kill(signal)
  }
}

/** Run the CLI in a pty to its exit. */
export async function ptyRun(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<PtyExit & { output: string }> {
  const p = new PtyCli(args, env)
  const exit = await p.exited
  return { ...exit, output: p.output }
}
