/**
 * The `pgferry` CLI as a child process (src/cli/main.ts, bundled for the run: child-bundles.ts), for tests that drive it.
 */
import { spawnTs } from './child.js'

/** The CLI's entry point, relative to the repo root. */
export const CLI = 'src/cli/main.ts'

/** What one CLI run gave. */
export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run the CLI to its exit. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawnTs(CLI, args, env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}
