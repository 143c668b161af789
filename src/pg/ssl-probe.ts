/**
 * `sslmode=prefer` as libpq does it: ask the server whether it speaks SSL (an SSLRequest, to which
 * it answers one byte, `S` or `N`) and use SSL only if it does. One probe per resolved connection,
 * cached, so a task's many clients do not ask again. A Unix socket never uses SSL (libpq's rule).
 */
import net from 'node:net'
import type { ResolvedConnection } from '../model/resolved-connection.js'

/** The SSLRequest code of the protocol (1234 << 16 | 5679). */
const SSL_REQUEST_CODE = 80877103

const answers = new WeakMap<ResolvedConnection, Promise<boolean>>()

/** Whether the server of `conn` accepts SSL; false when it cannot be asked (connect errors later). */
export function serverAcceptsSsl(conn: ResolvedConnection): Promise<boolean> {
  if (conn.host.startsWith('/')) return Promise.resolve(false)
  let answer = answers.get(conn)
  if (answer === undefined) {
    answer = probe(conn.host, conn.port, conn.connectionTimeoutMillis)
    answers.set(conn, answer)
  }
  return answer
}

function probe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (yes: boolean): void => {
      socket.destroy()
      resolve(yes)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => {
      const request = Buffer.alloc(8)
      request.writeInt32BE(8, 0)
      request.writeInt32BE(SSL_REQUEST_CODE, 4)
      socket.write(request)
    })
    socket.once('data', (d: Buffer) => done(d[0] === 0x53))
  })
}
