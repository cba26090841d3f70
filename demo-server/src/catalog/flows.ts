// Calico's own account of the lab's traffic: its flow logs, read from whisker-backend through a port-forward to the
// whisker pod (flows/reader.ts). A live watch for the staged step, a look back after the policies.
import { AGGREGATION_SECONDS, WHISKER_NAMESPACE } from '../flows/whiskerApi.ts'
import { LAB } from './lab.ts'
import type { FlowsAction } from './types.ts'

/** The watch of dev1's flows: two minutes back, then live for four minutes (or until stopped). */
export const flowsWatch: FlowsAction = {
  id: 'flows-dev1-watch',
  title: `Calico's flow logs for ${LAB.namespace}, live (Goldmane via whisker-backend)`,
  kind: 'flows',
  mode: 'stream',
  flowNamespaces: [LAB.namespace],
  windowSeconds: 120,
  durationSeconds: 240,
  maxRecords: 1000,
  namespaces: [WHISKER_NAMESPACE, LAB.namespace],
  timeoutMs: 270_000,
}

/** The last three minutes of dev1's flows, as Goldmane aggregates them (one record per flow and policy trace). */
export const flowsRecent: FlowsAction = {
  id: 'flows-dev1-recent',
  title: `Calico's flow logs for ${LAB.namespace}, the last 3 minutes`,
  kind: 'flows',
  mode: 'list',
  flowNamespaces: [LAB.namespace],
  windowSeconds: 180,
  maxRecords: 300,
  namespaces: [WHISKER_NAMESPACE, LAB.namespace],
  timeoutMs: 30_000,
}

export const flowsActions: FlowsAction[] = [flowsWatch, flowsRecent]

// ---- validation (called by the Catalog at start-up) ---------------------------------------------------------------

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/** Goldmane keeps 242 buckets of 15 s (goldmane/pkg/goldmane/goldmane.go:36-40): about an hour. */
const KEPT_SECONDS = 3600

/** Problems with a flows action, one line each. */
export function flowsProblems(action: FlowsAction): string[] {
  const problems: string[] = []
  const say = (m: string) => problems.push(`${action.id}: ${m}`)
  if (!action.namespaces.includes(WHISKER_NAMESPACE)) say(`reads through the whisker pod in ${WHISKER_NAMESPACE}, which is not in its namespaces`)
  if (action.flowNamespaces.length === 0) say('names no namespace to read flows for')
  for (const ns of action.flowNamespaces) {
    if (!NAMESPACE.test(ns)) say(`"${ns}" is not a namespace name`)
    else if (!action.namespaces.includes(ns)) say(`reads flows of ${ns}, which is not in its namespaces`)
  }
  if (!(Number.isInteger(action.windowSeconds) && action.windowSeconds >= AGGREGATION_SECONDS && action.windowSeconds <= KEPT_SECONDS)) {
    say(`windowSeconds must be a whole number within [${AGGREGATION_SECONDS}, ${KEPT_SECONDS}] (Goldmane's bucket, what it keeps)`)
  }
  if (!(Number.isInteger(action.maxRecords) && action.maxRecords >= 1 && action.maxRecords <= 5000)) say('maxRecords must be within [1, 5000]')
  if (action.mode === 'stream') {
    const d = action.durationSeconds
    if (d === undefined || !(Number.isInteger(d) && d >= 1)) say('a stream needs durationSeconds (whole seconds)')
    else if (d * 1000 + 20_000 > action.timeoutMs) say('timeoutMs leaves no room after durationSeconds (20 s to connect and close)')
  } else if (action.durationSeconds !== undefined) say('durationSeconds is for streams')
  return problems
}
