/**
 * `sslmode` with libpq's meaning (issue 14), against a source that accepts only SSL (pg_hba
 * `hostssl`) with a self-signed certificate made here: `require` encrypts without checking the
 * certificate and connects; `verify-full` without the root certificate fails with an error naming
 * the fix; with `sslrootcert` it connects; `disable` is refused by the server. No driver warning
 * reaches stderr.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCluster, type Cluster } from '../harness/cluster.js'
import { cli } from '../harness/cli.js'
import { isRoot, RUN_AS } from '../harness/reachable-binaries.js'

let source: Cluster
let target: Cluster
const dir = mkdtempSync(path.join(tmpdir(), 'pgferry-ssl-'))
const rootCert = path.join(dir, 'root.crt')

beforeAll(async () => {
  ;[source, target] = await Promise.all([startCluster({ major: 16 }), startCluster({ major: 16 })])
  // a self-signed certificate for 127.0.0.1: its own CA, so it is also the root certificate
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'server.key'),
      '-out',
      rootCert,
    ],
    { stdio: 'ignore' },
  )
  for (const [from, to] of [
    ['server.key', 'server.key'],
    ['root.crt', 'server.crt'],
  ] as const) {
    const file = path.join(source.dataDir, to)
    copyFileSync(path.join(dir, from), file)
    chmodSync(file, 0o600)
    if (isRoot()) chownSync(file, RUN_AS.uid, RUN_AS.gid)
  }
  // SSL only: a plain connection from 127.0.0.1 is rejected
  writeFileSync(
    path.join(source.dataDir, 'pg_hba.conf'),
    'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl replication all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n',
  )
  await source.query(`ALTER SYSTEM SET ssl = on`)
  await source.query(`SELECT pg_reload_conf()`)
}, 120_000)
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()])
})

describe('sslmode as libpq means it', () => {
  it('require connects without checking; verify-full needs the root certificate; disable is refused', async () => {
    const base = `postgres://postgres@127.0.0.1:${source.port}/postgres`
    const precheck = (sourceUrl: string): ReturnType<typeof cli> =>
      cli([
        'precheck',
        '--source',
        sourceUrl,
        '--target',
        target.url(),
        '--type',
        'structure',
        '--json',
      ])
    const [require, unverified, verified, disabled] = await Promise.all([
      precheck(`${base}?sslmode=require`),
      precheck(`${base}?sslmode=verify-full`),
      precheck(`${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(rootCert)}`),
      precheck(`${base}?sslmode=disable`),
    ])
    type Report = {
      ok: boolean
      items: { id: string; status: string; message: string; fix?: string }[]
    }
    const connect = (r: { stdout: string }): Report['items'][number] | undefined =>
      (JSON.parse(r.stdout) as Report).items.find((i) => i.id === 'source.connect')
    expect(require.code, require.stdout + require.stderr).toBe(0)
    expect(connect(require)?.status).toBe('pass')
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    expect(connect(verified)?.status).toBe('pass')

    expect(unverified.code).toBe(1)
    const failed = connect(unverified)
    expect(failed?.status).toBe('fail')
    expect(failed?.message).toMatch(/certificate could not be verified/)
    expect(failed?.fix).toMatch(/sslrootcert=/)

    expect(disabled.code).toBe(1)
    expect(connect(disabled)?.status).toBe('fail')
    for (const r of [require, unverified, verified, disabled]) {
      expect(r.stderr).not.toMatch(/SECURITY WARNING|DeprecationWarning/)
    }
  }, 180_000)
})
