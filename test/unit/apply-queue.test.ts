import { describe, expect, it } from 'vitest'
import { ApplyQueue, type IdleCommit } from '../../src/apply/apply-queue.js'

/** A promise settled by hand: the test decides when a piece of work ends. */
function gate(): { promise: Promise<void>; open(): void; fail(e: Error): void } {
  let open!: () => void
  let fail!: (e: Error) => void
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve
    fail = reject
  })
  return { promise, open, fail }
}

const idle = (over: Partial<IdleCommit> = {}): IdleCommit => ({
  ready: () => true,
  failed: () => false,
  commit: () => Promise.resolve(),
  watch: (w) => w,
  fail: () => undefined,
  ...over,
})

/** Let every queued reaction run. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('ApplyQueue (one serial queue of the apply connection, issue 12)', () => {
  it('returns nothing for work that returns nothing while idle, and runs it at once', () => {
    const q = new ApplyQueue(1_000_000, idle())
    let ran = false
    expect(
      q.run(() => {
        ran = true
        return undefined
      }),
    ).toBeUndefined()
    expect(ran).toBe(true)
  })

  it('starts work only after all work queued before it has settled, failed or not', async () => {
    const q = new ApplyQueue(1_000_000, idle())
    const order: string[] = []
    const a = gate()
    const b = gate()
    const first = q.run(() => a.promise.then(() => void order.push('a')))
    const second = q.run(() => {
      order.push('b start')
      return b.promise.then(() => void order.push('b'))
    })
    const third = q.run(() => {
      order.push('c')
      return undefined
    })
    await drain()
    expect(order).toEqual([])
    b.open()
    a.fail(new Error('a failed'))
    await expect(first).rejects.toThrow('a failed')
    await second
    await third
    expect(order).toEqual(['b start', 'b', 'c'])
  })

  it('quiesce waits for exactly what was queued, including work queued while it waits', async () => {
    const q = new ApplyQueue(1_000_000, idle())
    const a = gate()
    const b = gate()
    let bDone = false
    void q.run(() => a.promise)
    let quiesced = false
    const waiting = q.quiesce().then(() => {
      quiesced = true
    })
    // queued after quiesce began: quiesce still waits for it
    void q.run(() =>
      b.promise.then(() => {
        bDone = true
      }),
    )
    a.open()
    await drain()
    expect(quiesced).toBe(false)
    b.open()
    await waiting
    expect(bDone).toBe(true)
  })

  it('runs the idle commit between messages: after the one in flight, before the next', async () => {
    const events: string[] = []
    const c = gate()
    let fired!: () => void
    const timerFired = new Promise<void>((resolve) => {
      fired = resolve
    })
    let armed!: () => void
    const committed = new Promise<void>((resolve) => {
      armed = resolve
    })
    const q = new ApplyQueue(
      1,
      idle({
        ready: () => {
          fired()
          return true
        },
        commit: () => {
          events.push('commit start')
          armed()
          return c.promise.then(() => void events.push('commit end'))
        },
      }),
    )
    const m = gate()
    const message = q.run(() => m.promise.then(() => void events.push('message 1')))
    q.armIdle()
    // the timer fires while message 1 is in flight: the commit waits for it
    await timerFired
    await drain()
    expect(events).toEqual([])
    m.open()
    await message
    await committed
    const next = q.run(() => {
      events.push('message 2')
      return undefined
    })
    expect(next).toBeDefined()
    c.open()
    await next
    expect(events).toEqual(['message 1', 'commit start', 'commit end', 'message 2'])
  })

  it("reports the idle commit's failure to the apply, not to a message", async () => {
    let failed: unknown
    const reported = new Promise<void>((resolve) => {
      const q = new ApplyQueue(
        1,
        idle({
          commit: () => Promise.reject(new Error('commit failed')),
          fail: (e) => {
            failed = e
            resolve()
          },
        }),
      )
      q.armIdle()
    })
    await reported
    expect((failed as Error).message).toBe('commit failed')
  })
})
