/**
 * `sslmode` with libpq's meaning, as node's TLS options for `pg`:
 * - `disable`, `allow`: no SSL (`allow` would try plain first, and plain is what a server without
 *   SSL-only rules takes);
 * - `prefer`: SSL when the server offers it (pg/ssl-probe.ts asks), without checking the
 *   certificate; plain otherwise;
 * - `require`: SSL, the certificate not checked (with `sslrootcert`: checked against it, as
 *   `verify-ca`, which is libpq's rule);
 * - `verify-ca`: SSL, the certificate must be signed by `sslrootcert`;
 * - `verify-full`: SSL, the certificate signed by `sslrootcert` (or a system CA) and naming the host.
 * pg-connection-string has its own reading of these modes (it verifies for all of them and warns
 * on stderr); pgferry reads them itself so that a URL means what it means to psql.
 */
import { readFileSync } from 'node:fs'
import type { SslMode } from '../model/resolved-connection.js'
import { invalid } from './config-checks.js'

/** The sslmode values libpq knows. */
export const SSL_MODES: readonly SslMode[] = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
]

/** Whether `s` is an sslmode. */
export function isSslMode(s: unknown): s is SslMode {
  return (SSL_MODES as readonly unknown[]).includes(s)
}

/** The `ssl` option for `pg` that `mode` (with `rootCert`, a file path) means. */
export function sslForMode(
  mode: SslMode,
  rootCert: string | undefined,
  field: string,
): boolean | Record<string, unknown> {
  if (mode === 'disable' || mode === 'allow') return false
  let ca: string | undefined
  if (rootCert !== undefined) {
    try {
      ca = readFileSync(rootCert, 'utf8')
    } catch (error) {
      throw invalid(
        `${field}.sslrootcert`,
        `cannot be read: ${(error as Error).message}`,
        'give the path of the file with the certificate of the CA that signed the server certificate',
      )
    }
  }
  const skipHostCheck = { checkServerIdentity: (): undefined => undefined }
  if (mode === 'verify-ca' && ca === undefined) {
    throw invalid(
      field,
      'sslmode=verify-ca needs sslrootcert (the CA to check the server certificate against)',
      'add &sslrootcert=/path/to/root.crt, or use sslmode=verify-full (system CAs) or require (no check)',
    )
  }
  if (mode === 'verify-full') return ca === undefined ? {} : { ca }
  if (mode === 'verify-ca' || ca !== undefined) return { ca, ...skipHostCheck }
  return { rejectUnauthorized: false }
}
