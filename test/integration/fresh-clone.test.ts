/**
 * Issue 16: the two commands work wherever the repository is cloned. The committed HEAD is cloned
 * into a fresh `mktemp -d` directory (mode 700, so as root the servers' user `nobody` cannot
 * traverse it) under a path with a space, then `npm ci` and `npm run demo` run there. The child gets
 * a fresh, world-traversable TMPDIR, so the binary cache is built from nothing, not reused.
 *
 * The demo verifies the migration by SQL on both clusters (md5 of ordered rows per table, sequence
 * values, no slot left) and exits non-zero on any difference; this test checks its exit code and
 * that every table it compared came out equal.
 */
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const repo = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim()
const made: string[] = []

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => resolve({ code, out }))
  })
}

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true })
})

describe('a fresh clone in a private directory', () => {
  it('runs npm ci and the demo, and the demo verifies the migration', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'pgferry-clone-'))
    made.push(home)
    expect(statSync(home).mode & 0o777).toBe(0o700)
    const checkout = path.join(home, 'pg ferry')
    execFileSync('git', ['clone', '--quiet', repo, checkout])
    // a temp directory of the child's own, so the binary cache starts empty
    const childTmp = mkdtempSync(path.join('/tmp', 'pgferry-clone-tmp-'))
    made.push(childTmp)
    chmodSync(childTmp, 0o1777)
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: childTmp, NO_COLOR: '1' }
    delete env.NODE_OPTIONS
    delete env.VITEST
    delete env.VITEST_WORKER_ID
    delete env.VITEST_POOL_ID

    const ci = await run('npm', ['ci', '--no-audit', '--no-fund'], checkout, env)
    expect(ci.code, ci.out).toBe(0)
    const demo = await run('npm', ['run', 'demo'], checkout, env)
    expect(demo.code, demo.out).toBe(0)
    expect(demo.out).toMatch(/task completed; migration verified/)
    expect(demo.out).not.toMatch(/DIFFERENT|error while loading shared libraries/)
    const equal = demo.out.match(/^equal /gm) ?? []
    expect(equal.length).toBeGreaterThanOrEqual(3)
    expect(demo.out).toMatch(/replication slots left on the source: 0/)
    if (process.getuid?.() === 0) {
      // as root the servers ran from the verified cache under the child's TMPDIR
      expect(statSync(path.join(childTmp, 'pgferry-bin')).isDirectory()).toBe(true)
    }
  }, 900_000)
})
