// The matrix under test (netpol's model.go): its rows and columns as the slide shows them, which pod each row leaves
// from, and which cells are probed at all.
import type { V1Pod } from '@kubernetes/client-node'
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import { pickPod } from '../kube/pods.ts'
import type { HeaderLine, MatrixCol, MatrixRow } from './wire.ts'

/** Whether the cell source → target is probed, and if not why. */
export function probePlan(source: MatrixSource, target: MatrixTarget): { probed: true } | { probed: false; note: string } {
  if (!source.outside) return { probed: true }
  if (target.kind === 'dns') return { probed: false, note: 'outside clients do not use the cluster DNS: not probed' }
  if (target.external || source.outside.reaches === 'external-and-pods') return { probed: true }
  return { probed: false, note: source.outside.unprobed ?? `${source.label} only reaches exposed addresses: not probed` }
}

/** Namespaces the matrix's pods live in. */
export function matrixNamespaces(action: ProbeMatrixAction): string[] {
  return [...new Set([...action.sources.flatMap((s) => (s.pod ? [s.pod.namespace] : [])), ...action.targets.map((t) => t.namespace)])]
}

/** Row id → the pod it leaves from (rows whose pod is not there are absent). */
export function sourcePods(action: ProbeMatrixAction, pods: readonly V1Pod[]): Map<string, V1Pod> {
  const out = new Map<string, V1Pod>()
  for (const s of action.sources) {
    const pod = s.pod ? pickPod(pods, s.pod.namespace, s.pod.selector) : undefined
    if (pod?.metadata?.name) out.set(s.id, pod)
  }
  return out
}

/** Row id → the engine's name for it: "namespace/pod" for pods found, the address for outside clients. */
export function endpointsOf(action: ProbeMatrixAction, pods: ReadonlyMap<string, { namespace: string; name: string }>): Map<string, string> {
  const out = new Map<string, string>()
  for (const s of action.sources) {
    const pod = pods.get(s.id)
    if (s.outside) out.set(s.id, s.outside.ip)
    else if (pod) out.set(s.id, `${pod.namespace}/${pod.name}`)
  }
  return out
}

export function matrixRows(action: ProbeMatrixAction, endpoints: ReadonlyMap<string, string>): MatrixRow[] {
  return action.sources.map((s) => ({ id: s.id, label: s.label, group: s.group, via: s.outside ? 'host' : (s.pod?.via ?? 'exec'), endpoint: endpoints.get(s.id) ?? '' }))
}

export function matrixCols(action: ProbeMatrixAction): MatrixCol[] {
  return action.targets.map((t) => ({ id: t.id, label: t.label, port: t.port, protocol: t.protocol }))
}

/** The matrix's first line, but for where its expectation comes from. */
export function matrixHeader(action: ProbeMatrixAction, endpoints: ReadonlyMap<string, string>, expected: HeaderLine['expected']): HeaderLine {
  const unprobed = action.sources.flatMap((s) => action.targets.flatMap((t) => {
    const plan = probePlan(s, t)
    return plan.probed ? [] : [{ from: s.id, to: t.id, note: plan.note.slice(0, 300) }]
  }))
  return { kind: 'matrix', rows: matrixRows(action, endpoints), cols: matrixCols(action), unprobed, expected }
}
