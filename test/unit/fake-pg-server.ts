/**
 * A PostgreSQL server that speaks just enough of the protocol for the COPY relay's unit tests:
 * trust authentication, simple queries answered with an empty result, `COPY … TO STDOUT` sending
 * the rows it was given, and `COPY … FROM STDIN` keeping the payload it receives.
 */
import { once } from 'node:events'
import net from 'node:net'

function message(code: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.write(code, 0, 'latin1')
  header.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([header, body])
}

const cstring = (s: string): Buffer => Buffer.from(`${s}\0`)
const READY = message('Z', Buffer.from('I'))
const NO_COLUMNS = Buffer.from([0, 0, 0]) // text format, 0 columns

export class FakePgServer {
  readonly #server = net.createServer((s) => this.#serve(s))
  readonly #sockets = new Set<net.Socket>()
  /** Rows a `COPY … TO STDOUT` sends, one CopyData message each. */
  rows: Buffer[] = []
  /** The payload of every `COPY … FROM STDIN`, in order. */
  readonly received: Buffer[] = []
  /** Milliseconds a `COPY … FROM STDIN` connection stops reading after its first CopyData. */
  stallMs = 0

  async listen(): Promise<number> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    return (this.#server.address() as net.AddressInfo).port
  }

  close(): void {
    for (const s of this.#sockets) s.destroy()
    this.#server.close()
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket)
    socket.on('error', () => undefined)
    let pending = Buffer.alloc(0)
    let started = false
    let copyIn: Buffer[] | null = null
    let stalled = false
    socket.on('data', (b: Buffer) => {
      pending = Buffer.concat([pending, b])
      for (;;) {
        if (!started) {
          if (pending.length < 4) return
          const len = pending.readUInt32BE(0)
          if (pending.length < len) return
          pending = pending.subarray(len)
          started = true
          socket.write(Buffer.concat([message('R', Buffer.alloc(4)), READY]))
          continue
        }
        if (pending.length < 5) return
        const code = String.fromCharCode(pending[0] as number)
        const end = 1 + pending.readUInt32BE(1)
        if (pending.length < end) return
        const body = pending.subarray(5, end)
        pending = pending.subarray(end)
        if (code === 'Q')
          this.#query(socket, body.toString('utf8', 0, body.length - 1), (c) => (copyIn = c))
        else if (code === 'd' && copyIn !== null) {
          copyIn.push(Buffer.from(body))
          if (this.stallMs > 0 && !stalled) {
            stalled = true
            socket.pause()
            setTimeout(() => socket.resume(), this.stallMs)
          }
        } else if (code === 'c' && copyIn !== null) {
          const payload = Buffer.concat(copyIn)
          this.received.push(payload)
          copyIn = null
          const rows = payload.toString('latin1').split('\n').length - 1
          socket.write(Buffer.concat([message('C', cstring(`COPY ${rows}`)), READY]))
        } else if (code === 'X') socket.end()
      }
    })
  }

  #query(socket: net.Socket, sql: string, startCopyIn: (into: Buffer[]) => void): void {
    if (/TO STDOUT/i.test(sql)) {
      const parts = [message('H', NO_COLUMNS)]
      for (const r of this.rows) parts.push(message('d', r))
      parts.push(message('c', Buffer.alloc(0)), message('C', cstring(`COPY ${this.rows.length}`)))
      parts.push(READY)
      socket.write(Buffer.concat(parts))
    } else if (/FROM STDIN/i.test(sql)) {
      startCopyIn([])
      socket.write(message('G', NO_COLUMNS))
    } else socket.write(Buffer.concat([message('C', cstring('SELECT 0')), READY]))
  }
}
