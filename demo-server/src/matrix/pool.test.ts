import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPool } from './pool.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('the pool never runs more than its limit, runs everything, keeps FIFO order and passes results/errors through', async () => {
  const pool = createPool(3)
  const started: number[] = []
  let active = 0
  let peak = 0
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => pool.run(async () => {
    started.push(i)
    active++
    peak = Math.max(peak, active)
    await sleep(5 + (i % 3) * 3)
    active--
    if (i === 4) throw new Error('four')
    return i * 2
  })))
  assert.equal(peak, 3)
  assert.equal(pool.peak, 3)
  assert.equal(pool.active, 0)
  assert.deepEqual(started.slice(0, 3), [0, 1, 2])
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [0, 2, 4, 6, 'four', 10, 12, 14, 16, 18])
})

test('a limit below 1 is refused', () => {
  assert.throws(() => createPool(0), RangeError)
})
