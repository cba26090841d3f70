// A bounded worker pool: at most `limit` tasks run at once, the rest wait in FIFO order. (p-limit in twenty lines;
// no dependency for this.) `active` and `peak` let tests and the bench check the bound.
export interface Pool {
  run<T>(task: () => Promise<T>): Promise<T>
  readonly active: number
  readonly peak: number
  readonly queued: number
}

export function createPool(limit: number): Pool {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool limit must be a positive integer, got ${limit}`)
  const waiting: Array<() => void> = []
  let active = 0
  let peak = 0
  const next = (): void => {
    if (active >= limit) return
    const start = waiting.shift()
    if (start) start()
  }
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push(() => {
          active++
          peak = Math.max(peak, active)
          void Promise.resolve()
            .then(task)
            .then(resolve, reject)
            .finally(() => {
              active--
              next()
            })
        })
        next()
      })
    },
    get active() {
      return active
    },
    get peak() {
      return peak
    },
    get queued() {
      return waiting.length
    },
  }
}
