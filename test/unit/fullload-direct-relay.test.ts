import { once } from 'node:events'
import net from 'node:net'
import type pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { canRelayDirect } from '../../src/fullload/direct-relay.js'

const clientOn = (stream: net.Socket): pg.Client =>
  ({ connection: { stream } }) as unknown as pg.Client

describe('direct relay: the source socket in user-buffer mode', () => {
  const open: net.Socket[] = []
  let server: net.Server | undefined
  afterEach(() => {
    for (const s of open) s.destroy()
    open.length = 0
    server?.close()
  })

  async function pair(): Promise<{ local: net.Socket; remote: net.Socket }> {
    server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as net.AddressInfo
    const accepted = once(server, 'connection')
    const local = net.connect(port, '127.0.0.1')
    await once(local, 'connect')
    const [remote] = (await accepted) as [net.Socket]
    open.push(local, remote)
    return { local, remote }
  }

  it('outside a COPY still emits every byte as its own buffer, across pauses', async () => {
    const { local, remote } = await pair()
    expect(canRelayDirect(clientOn(local), clientOn(remote))).toBe(true)
    expect(canRelayDirect(clientOn(local), clientOn(remote))).toBe(true) // switched once
    const sent = Buffer.alloc(4 << 20)
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7919) >>> 3
    const got: Buffer[] = []
    let paused = 0
    local.on('data', (b: Buffer) => {
      got.push(b) // kept: a reused read buffer would be overwritten by later reads
      if (got.length % 7 === 0) {
        paused++
        local.pause()
        setTimeout(() => local.resume(), 1)
      }
    })
    remote.end(sent)
    await once(local, 'end')
    expect(paused).toBeGreaterThan(0)
    expect(Buffer.concat(got).equals(sent)).toBe(true)
  })

  it('leaves a TLS or handle-less socket to the stream path', () => {
    const s = new net.Socket()
    expect(canRelayDirect(clientOn(s), clientOn(s))).toBe(false)
    const tlsLike = Object.assign(new net.Socket(), { encrypted: true })
    expect(canRelayDirect(clientOn(tlsLike), clientOn(s))).toBe(false)
  })
})
