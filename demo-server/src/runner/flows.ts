// A flows step: Calico's flow logs read through flows/reader.ts (a port-forward to the whisker pod, whisker-backend's
// GET /flows), one record per stdout line — the release's own FlowResponse JSON — so the run store keeps them, a
// late window replays them and the export draws them like any other output. <FlowLog> reads the lines back.
import type { KubeConfig } from '@kubernetes/client-node'
import type { FlowsAction } from '../catalog/types.ts'
import { AGGREGATION_SECONDS, curlCommand, exact, FELIX_FLUSH_SECONDS, FlowsError, PORT_FORWARD_COMMAND, WhiskerFlowsReader } from '../flows/index.ts'
import type { FlowRecord, FlowsErrorKind } from '../flows/index.ts'
import type { FailureKind } from '../protocol.ts'
import type { Outcome, Sink } from './outcome.ts'

/** How a reader failure shows on the slide: the run's failure kind; the FlowsError's sentence is the message. */
const FAILURE: Record<Exclude<FlowsErrorKind, 'cancelled'>, FailureKind> = {
  'not-installed': 'not-found',
  'not-ready': 'not-found',
  unreachable: 'unreachable',
  forbidden: 'forbidden',
  malformed: 'api-error',
  'backend-error': 'api-error',
  'too-large': 'api-error',
  'stream-dropped': 'stream-dropped',
}

/** What a presenter types for the same answer: the port-forward, then curl with the window relative to now. */
export function flowsShownCommand(action: FlowsAction): string {
  if (action.mode === 'stream') {
    // Goldmane ANDs filter fields, so "source or destination in the namespaces" cannot be one watch: the demo
    // server keeps the records touching them from the whole stream (flows/reader.ts stream()).
    return `${PORT_FORWARD_COMMAND} & ${curlCommand({ watch: true, startTimeGte: -action.windowSeconds })}`
  }
  // the reader reaches back Goldmane's bucket and Felix's flush further than the window (reader.ts windowQuery)
  const back = action.windowSeconds + AGGREGATION_SECONDS + FELIX_FLUSH_SECONDS
  const sides = (['source_namespaces', 'dest_namespaces'] as const).map((field) => curlCommand({ startTimeGte: -back, filters: { [field]: exact(action.flowNamespaces) } }))
  return `${PORT_FORWARD_COMMAND} & ${sides.join('; ')}`
}

const line = (r: FlowRecord): string => `${JSON.stringify(r)}\n`

function failed(error: unknown, signal: AbortSignal): Outcome {
  if (signal.aborted || (error instanceof FlowsError && error.kind === 'cancelled')) return { status: 'cancelled' }
  if (error instanceof FlowsError) return { status: 'failed', error: { kind: FAILURE[error.kind as Exclude<FlowsErrorKind, 'cancelled'>], message: error.message } }
  throw error
}

export async function runFlows(kc: KubeConfig, action: FlowsAction, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const reader = new WhiskerFlowsReader(kc, { maxRecords: action.maxRecords })
  const namespaces = action.flowNamespaces
  if (action.mode === 'list') {
    try {
      const end = Date.now()
      const list = await reader.list({ namespaces, start: end - action.windowSeconds * 1000, end, signal })
      sink.info(`whisker pod ${list.pod}: ${list.records.length} flow record${list.records.length === 1 ? '' : 's'} touching ${namespaces.join(', ')} since ${new Date(end - action.windowSeconds * 1000).toISOString()}\n`)
      sink.stdout(list.records.map(line).join(''))
      for (const note of list.notes) sink.info(`${note}\n`)
      return { status: 'succeeded', exitCode: 0 }
    } catch (error) {
      return failed(error, signal)
    }
  }

  // the stream ends by itself after durationSeconds, or after maxRecords: both are a success
  const done = new AbortController()
  const timer = setTimeout(() => done.abort(), (action.durationSeconds ?? 0) * 1000)
  let written = 0
  try {
    const stream = await reader.stream({ namespaces, since: Date.now() - action.windowSeconds * 1000, signal: AbortSignal.any([signal, done.signal]) })
    sink.info(`whisker pod ${stream.pod}: watching flows touching ${namespaces.join(', ')} (from ${action.windowSeconds} s back), for ${action.durationSeconds} s\n`)
    for await (const record of stream.records) {
      sink.stdout(line(record))
      if (++written >= action.maxRecords) {
        sink.info(`stopped after ${written} records (this step's limit)\n`)
        done.abort()
        break
      }
    }
    if (signal.aborted) return { status: 'cancelled' }
    if (written < action.maxRecords) sink.info(`the watch ended after ${action.durationSeconds} s with ${written} record${written === 1 ? '' : 's'}\n`)
    return { status: 'succeeded', exitCode: 0 }
  } catch (error) {
    if (done.signal.aborted && !signal.aborted && error instanceof FlowsError && error.kind === 'cancelled') return { status: 'succeeded', exitCode: 0 }
    return failed(error, signal)
  } finally {
    clearTimeout(timer)
  }
}
