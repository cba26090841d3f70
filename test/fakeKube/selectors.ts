// labelSelector / fieldSelector parsing and matching, following the API server's grammar.
import type { KubeObject } from './store.ts'
import { matchesLabelSelector, parseLabelSelectorText } from '../../demo-server/src/policy/labelSelector.ts'
import type { LabelSelector } from '../../demo-server/src/policy/labelSelector.ts'

export type Matcher = (obj: KubeObject) => boolean

export class SelectorError extends Error {}

/** Equality (=, ==, !=), set (in, notin) and existence (key, !key) requirements, ANDed: the demo server's own parser. */
export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector) return () => true
  let parsed: LabelSelector
  try {
    parsed = parseLabelSelectorText(selector)
  } catch (error) {
    throw new SelectorError((error as Error).message)
  }
  return (obj) => matchesLabelSelector(parsed, (obj.metadata.labels ?? {}) as Record<string, string>)
}

/** Field selectors each kind supports on a real API server (metadata.name and metadata.namespace always work). */
const FIELDS: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Secret: ['type'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  ReplicaSet: ['status.replicas'],
}

function fieldValue(obj: KubeObject, path: string): string {
  if (path === 'source' && obj.kind === 'Event') {
    const src = obj.source as { component?: string } | undefined
    return src?.component ?? ''
  }
  let cur: unknown = obj
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return ''
    cur = (cur as Record<string, unknown>)[part]
  }
  if (cur === undefined || cur === null) return path === 'spec.hostNetwork' || path === 'spec.unschedulable' ? 'false' : ''
  return String(cur)
}

export function parseFieldSelector(selector: string | null, kind: string): Matcher {
  if (!selector) return () => true
  const reqs: Matcher[] = []
  for (const term of selector.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/)
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`)
    const [, field = '', op, value = ''] = m
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !(FIELDS[kind] ?? []).includes(field)) {
      throw new SelectorError(`field label not supported: ${field}`)
    }
    reqs.push(op === '!=' ? (o) => fieldValue(o, field) !== value : (o) => fieldValue(o, field) === value)
  }
  return (obj) => reqs.every((r) => r(obj))
}
