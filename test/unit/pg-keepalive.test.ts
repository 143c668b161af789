/**
 * Every client socket pgferry opens has TCP keepalive on (connect.ts), so a statement waiting on a
 * peer that vanished without FIN or RST ends once the kernel's probes go unanswered. Checked in the
 * kernel's own table (/proc/net/tcp: timer 2 is the keepalive timer), for pg's socket and for the
 * COPY lanes' relay socket.
 */
import { readFile } from 'node:fs/promises'
import type net from 'node:net'
import type pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { relaySocket } from '../../src/fullload/relay-socket.js'
import { openClient } from '../../src/pg/connect.js'
import type { ResolvedConnection } from '../../src/model/resolved-connection.js'
import { FakePgServer } from './fake-pg-server.js'

const connection = (port: number): ResolvedConnection => ({
  host: '127.0.0.1',
  port,
  user: 'test',
  database: 'test',
  ssl: false,
  connectionTimeoutMillis: 5000,
  applicationName: 'pgferry-test',
  hasPassword: false,
})

const hexPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0')

/**
 * The `tr` (active timer) field of the kernel's row for the established TCP connection from
 * `localPort` to `remotePort`. Only that row: an earlier connection that used the same ephemeral
 * port can still sit in TIME_WAIT (timer 3) in the same table on a busy machine.
 */
async function timerOf(localPort: number, remotePort: number): Promise<string | undefined> {
  const table = await readFile('/proc/net/tcp', 'utf8')
  for (const line of table.split('\n').slice(1)) {
    const [, local, remote, state, , timer] = line.trim().split(/\s+/)
    if (
      local?.endsWith(`:${hexPort(localPort)}`) &&
      remote?.endsWith(`:${hexPort(remotePort)}`) &&
      state === '01' // ESTABLISHED
    )
      return timer?.split(':')[0]
  }
  return undefined
}

const socketOf = (client: pg.Client): net.Socket =>
  (client as unknown as { connection: { stream: net.Socket } }).connection.stream

describe('client sockets', () => {
  const servers: FakePgServer[] = []
  const clients: pg.Client[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)))
    for (const s of servers.splice(0)) s.close()
  })

  it.each([
    ['pg’s own socket', {}],
    ['the relay socket of a COPY lane', { socket: relaySocket }],
  ] as const)('%s has TCP keepalive on', async (_, options) => {
    const server = new FakePgServer()
    servers.push(server)
    const port = await server.listen()
    const client = await openClient(connection(port), 'source', options)
    clients.push(client)
    const localPort = socketOf(client).localPort ?? -1
    expect(await timerOf(localPort, port)).toBe('02')
  })
})
