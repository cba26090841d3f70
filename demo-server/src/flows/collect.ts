// Waiting for flow logs after a matrix run: Felix hands flows to Goldmane every 15 s and Goldmane files them in 15 s
// buckets, so a record of a probe appears up to about half a minute after it. Poll the list until every cell has a
// settled answer or the deadline passes; report progress so the slide can say "waiting for flow logs".
import { cancelled, FlowsError } from './errors.ts'
import { matchFlowsToCells } from './match.ts'
import type { CellFlowResult, FlowCell } from './match.ts'
import type { FlowsList, ListRequest } from './reader.ts'

export interface CollectOptions {
  /** namespaces to query (source or destination in one of them) */
  namespaces: readonly string[]
  /** stop waiting this long after the window's end (default 45 s: two flush intervals and a bucket) */
  deadlineMs?: number
  /** time between two reads (default 5 s) */
  pollMs?: number
  signal?: AbortSignal
  /** after each read: the results so far, and whether the reader will look again */
  onProgress?: (results: CellFlowResult[], waiting: boolean) => void
  /**
   * whether a cell has its answer (default: allowed, denied, conflict or ambiguous). A caller that knows a cell can
   * never get both records (a pod reaching itself through its Service: kube-proxy masquerades the hairpin, so the
   * destination's record names the node) says so here rather than wait for the deadline.
   */
  isSettled?: (result: CellFlowResult, cell: FlowCell) => boolean
  now?: () => number
}

export interface Collected {
  results: CellFlowResult[]
  /** the last list read */
  list: FlowsList
  /** every cell settled (by `isSettled`) before the deadline */
  complete: boolean
  reads: number
}

/** A cell has Calico's answer: a verdict, or records that will not give one (disagreeing, or of two sources). */
export const settled = (r: CellFlowResult): boolean => r.state === 'allowed' || r.state === 'denied' || r.state === 'conflict' || r.state === 'ambiguous'

export async function collectCellFlows(
  reader: { list(req: ListRequest): Promise<FlowsList> },
  cells: readonly FlowCell[],
  options: CollectOptions,
): Promise<Collected> {
  if (cells.length === 0) throw new FlowsError('malformed', 'no cells to look up in the flow logs')
  const now = options.now ?? Date.now
  const start = Math.min(...cells.map((c) => c.windowStart))
  const end = Math.max(...cells.map((c) => c.windowEnd))
  const deadline = end + (options.deadlineMs ?? 45_000)
  const pollMs = options.pollMs ?? 5000
  let reads = 0
  for (;;) {
    const list = await reader.list({ namespaces: options.namespaces, start, end, ...(options.signal ? { signal: options.signal } : {}) })
    reads++
    const results = matchFlowsToCells(cells, list.records)
    const isSettled = options.isSettled ?? settled
    const complete = results.every((r, i) => isSettled(r, cells[i] as FlowCell))
    const waiting = !complete && now() + pollMs <= deadline
    options.onProgress?.(results, waiting)
    if (!waiting) return { results, list, complete, reads }
    await sleep(pollMs, options.signal)
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled())
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(cancelled())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
