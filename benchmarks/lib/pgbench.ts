/**
 * pgbench against a throwaway cluster. The npm PostgreSQL packages ship no pgbench, so it comes from
 * the Debian package: the major's own if installed, else 15's (pgbench speaks to any later server).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import type { Cluster } from '../../test/harness/cluster.js'

const run = promisify(execFile)

export function pgbenchPath(major: number): string {
  const fromEnv = process.env.PGBENCH
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  for (const m of [major, 15]) {
    const p = `/usr/lib/postgresql/${m}/bin/pgbench`
    if (existsSync(p)) return p
  }
  throw new Error('pgbench not found: install postgresql-client (Debian) or set PGBENCH')
}

export interface PgbenchRun {
  /** `tps = …` of pgbench's summary (without initial connection time); NaN if absent. */
  readonly tps: number
  readonly output: string
}

/** Run pgbench with `args` against `db` on `cluster`. */
export async function pgbench(cluster: Cluster, db: string, args: string[]): Promise<PgbenchRun> {
  const { stdout, stderr } = await run(
    pgbenchPath(cluster.major),
    ['-h', cluster.host, '-p', String(cluster.port), '-U', 'postgres', ...args, db],
    { maxBuffer: 64 * 1024 * 1024 },
  )
  const output = `${stdout}\n${stderr}`
  const m = /tps = ([0-9.]+)/.exec(output)
  return { tps: m ? Number(m[1]) : NaN, output }
}

export async function pgbenchVersion(major: number): Promise<string> {
  const { stdout } = await run(pgbenchPath(major), ['--version'])
  return stdout.trim()
}
