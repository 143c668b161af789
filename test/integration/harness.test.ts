import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCluster, sweepStaleClusters, type Major } from '../harness/cluster.js'
import { spawnTs, waitForLine } from '../harness/child.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitDead(pid: number, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (!alive(pid)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

describe('test harness: real clusters from npm binaries', () => {
  it.each([12, 16, 17, 18] as Major[])(
    'starts PostgreSQL %i with wal_level=logical as a non-root user and stops it cleanly',
    async (major) => {
      const c = await startCluster({ major })
      try {
        const r = await c.query<{ v: string; wal: string; usr: string }>(
          `SELECT current_setting('server_version_num') AS v, current_setting('wal_level') AS wal, current_user AS usr`,
        )
        expect(Math.floor(Number(r.rows[0]?.v) / 10000)).toBe(major)
        expect(r.rows[0]?.wal).toBe('logical')
        const db = await c.createDatabase('t')
        const r2 = await c.query<{ d: string }>('SELECT current_database() AS d', [], db)
        expect(r2.rows[0]?.d).toBe(db)
      } finally {
        await c.stop()
      }
      expect(c.running).toBe(false)
      expect(existsSync(c.dataDir)).toBe(false)
    },
  )

  it('a cluster dies with the process that started it, even on SIGKILL, and its directory is swept', async () => {
    const child = spawnTs('test/harness/start-cluster-child.ts', ['16'])
    const m = await waitForLine(child, /READY pid=(\d+) dir=(\S+)/)
    const pid = Number(m[1])
    const dir = String(m[2])
    expect(alive(pid)).toBe(true)
    child.kill('SIGKILL')
    expect(await waitDead(pid)).toBe(true)
    expect(existsSync(dir)).toBe(true)
    sweepStaleClusters()
    expect(existsSync(path.dirname(dir))).toBe(false)
  })
})
