/**
 * `pgferry worker` (issue 15): its flags as the command line parses them, the usage errors for a
 * missing or wrong --queue and a wrong --concurrency (each naming the flag, exit code 2 through
 * main's UsageError path), and the passwords it was given (the queue URL's, PGFERRY_SOURCE_PASSWORD,
 * PGFERRY_TARGET_PASSWORD) never in what it prints, here when the queue cannot be reached.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CliOutput, type WritableText } from '../../src/cli/cli-output.js'
import { workerCommand } from '../../src/cli/commands/worker-command.js'
import { formatError } from '../../src/cli/format-error.js'
import { helpText } from '../../src/cli/help-text.js'
import { parseCommandLine } from '../../src/cli/parse-command-line.js'
import { SecretFilter } from '../../src/cli/secret-filter.js'
import { UsageError } from '../../src/cli/usage-error.js'

class Captured implements WritableText {
  text = ''
  write(s: string): boolean {
    this.text += s
    return true
  }
}

interface Run {
  readonly error: unknown
  readonly stdout: string
  readonly stderr: string
  readonly secrets: SecretFilter
}

/** Parse `argv` and run the worker command as main does, the error printed as main prints it. */
async function runWorker(argv: readonly string[]): Promise<Run> {
  const stdout = new Captured()
  const stderr = new Captured()
  const secrets = new SecretFilter()
  let error: unknown
  try {
    const line = parseCommandLine(argv)
    if (line.kind !== 'command') throw new Error(`not a command: ${line.kind}`)
    const out = new CliOutput(stdout, stderr, secrets, line.flags.has('json'))
    try {
      await workerCommand({
        command: line.command,
        id: line.id,
        flags: line.flags,
        out,
        secrets,
        noteTask: () => undefined,
      })
    } catch (e) {
      if (out.json) out.jsonLine('error', { message: (e as Error).message })
      for (const text of e instanceof UsageError ? [e.message] : formatError(e)) out.error(text)
      throw e
    }
  } catch (e) {
    error = e
  }
  return { error, stdout: stdout.text, stderr: stderr.text, secrets }
}

const QUEUE = 'postgres://q@127.0.0.1:1/queue'

afterEach(() => {
  delete process.env.PGFERRY_SOURCE_PASSWORD
  delete process.env.PGFERRY_TARGET_PASSWORD
})

describe('pgferry worker', () => {
  it('takes --queue, --concurrency and --json, and nothing a task needs', () => {
    const line = parseCommandLine(['worker', '--queue', QUEUE, '--concurrency', '4', '--json'])
    expect(line).toMatchObject({ kind: 'command', command: 'worker', id: undefined })
    if (line.kind !== 'command') return
    expect(line.flags.string('queue')).toBe(QUEUE)
    expect(line.flags.string('concurrency')).toBe('4')
    expect(line.flags.has('json')).toBe(true)
    // the task's settings come from its store: a worker takes no --source or --target
    expect(() => parseCommandLine(['worker', '--queue', QUEUE, '--target', QUEUE])).toThrow(
      UsageError,
    )
    expect(() => parseCommandLine(['worker', 'some-task-id', '--queue', QUEUE])).toThrow(UsageError)
  })

  it("'pgferry worker --help' names every flag it takes", () => {
    expect(parseCommandLine(['worker', '--help'])).toEqual({ kind: 'help', command: 'worker' })
    const help = helpText('worker')
    for (const flag of ['--queue URL', '--concurrency N', '--json'])
      expect(help).toMatch(new RegExp(`^  ${flag} `, 'm'))
  })

  it('without --queue: a usage error that names the flag and what to give', async () => {
    const r = await runWorker(['worker'])
    expect(r.error).toBeInstanceOf(UsageError)
    expect((r.error as UsageError).command).toBe('worker')
    expect((r.error as Error).message).toMatch(/--queue/)
    expect((r.error as Error).message).toMatch(/postgres:\/\//)
  })

  it('a --queue that is not a postgres:// URL is a usage error', async () => {
    for (const queue of ['queue-host/queue', 'mysql://q@h/queue', 'host=h dbname=queue']) {
      const r = await runWorker(['worker', '--queue', queue])
      expect(r.error).toBeInstanceOf(UsageError)
      expect((r.error as Error).message).toMatch(/--queue must be a postgres:\/\/ URL/)
    }
  })

  it('--concurrency must be an integer from 1 to 64, checked before the queue is reached', async () => {
    for (const n of ['0', '65', '-1', '1.5', 'two', '']) {
      const r = await runWorker(['worker', '--queue', QUEUE, '--concurrency', n])
      expect(r.error, `--concurrency ${n}`).toBeInstanceOf(UsageError)
      expect((r.error as Error).message).toMatch(/--concurrency/)
    }
  })

  it('never prints the passwords it was given, from the URL or the environment', async () => {
    process.env.PGFERRY_SOURCE_PASSWORD = 'src-Secret-1'
    process.env.PGFERRY_TARGET_PASSWORD = 'tgt-Secret-2'
    const queue = 'postgres://q:q%40Secret-3@127.0.0.1:1/queue'
    for (const json of [false, true]) {
      const r = await runWorker(['worker', '--queue', queue, ...(json ? ['--json'] : [])])
      // nothing listens on port 1: the queue is unreachable, and the error says so
      expect(r.error).toMatchObject({ code: 'PGFERRY_QUEUE_UNREACHABLE' })
      const printed = r.stdout + r.stderr
      expect(printed).toContain('PGFERRY_QUEUE_UNREACHABLE')
      for (const secret of ['src-Secret-1', 'tgt-Secret-2', 'q@Secret-3', 'q%40Secret-3'])
        expect(printed).not.toContain(secret)
      // and anything else it would print is filtered of all three
      expect(r.secrets.clean('src-Secret-1 tgt-Secret-2 q@Secret-3')).toBe('*** *** ***')
    }
  })
})
