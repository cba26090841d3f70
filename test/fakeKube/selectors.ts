// labelSelector / fieldSelector parsing and matching, following the API server's grammar.
import type { KubeObject } from './store.ts'

export type Matcher = (obj: KubeObject) => boolean

export class SelectorError extends Error {}

/** Split on commas that are not inside parentheses ("a in (x,y),b=c" → ["a in (x,y)", "b=c"]). */
function splitTerms(selector: string): string[] {
  const terms: string[] = []
  let depth = 0
  let current = ''
  for (const ch of selector) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      terms.push(current)
      current = ''
    } else current += ch
  }
  terms.push(current)
  return terms.map((t) => t.trim()).filter((t) => t !== '')
}

const LABEL_KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/

function checkKey(key: string, selector: string): void {
  if (!LABEL_KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${selector}"`)
}

/** Equality (=, ==, !=), set (in, notin) and existence (key, !key) requirements, ANDed. */
export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector) return () => true
  const reqs: Array<(labels: Record<string, string>) => boolean> = []
  for (const term of splitTerms(selector)) {
    let m: RegExpMatchArray | null
    if ((m = term.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/))) {
      const [, key = '', op, list = ''] = m
      checkKey(key, selector)
      const values = new Set(list.split(',').map((v) => v.trim()))
      reqs.push(op === 'in' ? (l) => key in l && values.has(l[key] ?? '') : (l) => !(key in l) || !values.has(l[key] ?? ''))
    } else if ((m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      const [, key = '', op, value = ''] = m
      checkKey(key, selector)
      reqs.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value)
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      const key = m[1] ?? ''
      checkKey(key, selector)
      reqs.push((l) => !(key in l))
    } else if (LABEL_KEY.test(term)) {
      reqs.push((l) => term in l)
    } else {
      throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`)
    }
  }
  return (obj) => {
    const labels = (obj.metadata.labels ?? {}) as Record<string, string>
    return reqs.every((r) => r(labels))
  }
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
  for (const term of splitTerms(selector)) {
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
