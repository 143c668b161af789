/**
 * Password auth (scram) for one role on a trust cluster, for tests of what a missing or wrong
 * password does.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Cluster } from './cluster.js'

/**
 * Give superuser `user` (created when missing) `password`, and a scram-sha-256 line for it before
 * the trust lines.
 */
export async function requirePassword(
  cluster: Cluster,
  user: string,
  password: string,
): Promise<void> {
  // v12 still hashes with md5 by default, which a scram-sha-256 line refuses
  await cluster.query(
    `SET password_encryption = 'scram-sha-256';
     DO $$ BEGIN CREATE ROLE ${user} LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
     ALTER ROLE ${user} PASSWORD '${password}'`,
  )
  const hba = path.join(cluster.dataDir, 'pg_hba.conf')
  writeFileSync(hba, `host all ${user} 127.0.0.1/32 scram-sha-256\n` + readFileSync(hba, 'utf8'))
  await cluster.query(`SELECT pg_reload_conf()`)
}
