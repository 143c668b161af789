import { describe, expect, it } from 'vitest'
import { waitUntil } from '../../src/stage/wait-until.js'

describe('waitUntil (startAt)', () => {
  it('resolves at once for a time that has passed, even with an aborted signal', async () => {
    await expect(waitUntil(new Date(Date.now() - 1000), AbortSignal.abort())).resolves.toBe(
      undefined,
    )
  })

  it('rejects with PGFERRY_ABORTED on a signal aborted before the wait begins', async () => {
    await expect(
      waitUntil(new Date(Date.now() + 3_600_000), AbortSignal.abort()),
    ).rejects.toMatchObject({ code: 'PGFERRY_ABORTED' })
  })

  it('waits for a date past the 24.8-day timer limit instead of firing at once', async () => {
    const ac = new AbortController()
    let settled = false
    const wait = waitUntil(new Date(Date.now() + 30 * 86_400_000), ac.signal).finally(
      () => (settled = true),
    )
    await new Promise((r) => setTimeout(r, 100))
    expect(settled).toBe(false)
    ac.abort()
    await expect(wait).rejects.toMatchObject({ code: 'PGFERRY_ABORTED' })
  })

  it('resolves when the time comes', async () => {
    const at = new Date(Date.now() + 150)
    await waitUntil(at, new AbortController().signal)
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime())
  })
})
