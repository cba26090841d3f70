// The lab's least privilege, declared once for every test that checks it — the flows the policy steps intend — and the
// one independent oracle the tests keep.
//
// The oracle: a deliberately simplified evaluator of Calico semantics that holds for these manifests (one tier, Allow
// rules only, checked by the cluster-kit tests): an endpoint selected by some policy for a direction is denied what no
// Allow rule matches; endpoints no policy selects are open. It shares the engine's selector parser and CIDR math (one
// implementation of each), but not its evaluation: it is the one independent check that the policy engine (and the
// matrix built on it) agrees with what the YAML says.
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { MATRIX_SOURCES, MATRIX_TARGETS } from '../../demo-server/src/catalog/matrices.ts'
import { evaluateSelector, parseSelector } from '../../demo-server/src/policy/index.ts'
import { cidrContains, parseCidr, parseIPv4 } from '../../demo-server/src/policy/model.ts'
import { matchesLabelSelectorText } from '../../demo-server/src/policy/labelSelector.ts'
import { allDocs, gvk, podModels } from '../cluster-kit/lib/manifests.ts'
import type { Doc } from '../cluster-kit/lib/manifests.ts'

/** Flows the policies allow on 9080/TCP between the bookinfo workloads of dev1; nothing else touching them is. */
export const INTENDED_9080: ReadonlyArray<readonly [from: string, to: string]> = [
  ['productpage-v1', 'details-v1'],
  ['productpage-v1', 'reviews-v1'],
  ['productpage-v1', 'reviews-v2'],
  ['productpage-v1', 'reviews-v3'],
  ['reviews-v2', 'ratings-v1'],
  ['reviews-v3', 'ratings-v1'],
]
/** Workloads the allowed outside range reaches (through the LoadBalancer, on the pod's 9080). */
export const INTENDED_FROM_OUTSIDE = ['productpage-v1'] as const

/** The intended flows between pods, "dev1/a → dev1/b", with `arrow` between them. */
export const intendedPodFlows = (arrow = ' → '): string[] => INTENDED_9080.map(([a, b]) => `${LAB.namespace}/${a}${arrow}${LAB.namespace}/${b}`)

/**
 * The same flows as matrix cells "row→column": a row leaves from the pod its selector picks, a column is the Service
 * whose selector matches the target's pods. DNS is intended for every pod row; the other outside range reaches nothing.
 */
export function intendedMatrixCells(): string[] {
  const labels = new Map(podModels().map((p) => [p.name, p.labels]))
  const row = (workload: string) => MATRIX_SOURCES.find((s) => s.pod && matchesLabelSelectorText(s.pod.selector, labels.get(workload) ?? {}))?.id
  const col = (workload: string) => MATRIX_TARGETS.find((t) => t.kind === 'http' && matchesLabelSelectorText(t.selector, labels.get(workload) ?? {}))?.id
  const host1 = MATRIX_SOURCES.find((s) => s.outside?.ip === LAB.host1Ip)?.id
  return [...new Set([
    ...INTENDED_9080.map(([a, b]) => `${row(a)}→${col(b)}`),
    ...INTENDED_FROM_OUTSIDE.map((w) => `${host1}→${col(w)}`),
  ])].sort()
}

// ---- the oracle ----------------------------------------------------------------------------------------------

export interface Endpoint {
  id: string
  ip: string
  namespace?: string
  labels: Record<string, string>
}

interface EntityRule {
  nets?: string[]
  selector?: string
  namespaceSelector?: string
  ports?: Array<number | string>
}
interface Rule {
  action: string
  protocol?: string
  source?: EntityRule
  destination?: EntityRule
}
interface Policy {
  metadata: { name: string; namespace: string }
  spec: { selector?: string; types?: string[]; ingress?: Rule[]; egress?: Rule[] }
}

const NS_LABELS = (ns: string) => ({ 'projectcalico.org/name': ns, 'kubernetes.io/metadata.name': ns })
const selects = (selector: string, labels: Record<string, string>) => evaluateSelector(parseSelector(selector), labels)

export class LeastPrivilegeOracle {
  readonly policies: Policy[]
  readonly endpoints: Endpoint[]

  constructor(docs: Doc[] = allDocs()) {
    this.policies = docs.filter((d) => gvk(d.obj) === 'projectcalico.org/v3/NetworkPolicy').map((d) => d.obj as Policy)
    this.endpoints = podModels(docs).map((p, i) => ({ id: `${p.namespace}/${p.name}`, ip: `198.19.16.${i + 1}`, namespace: p.namespace, labels: p.labels }))
    this.endpoints.push({ id: 'kube-system/coredns', ip: '198.19.16.100', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } })
    this.endpoints.push({ id: 'host1', ip: LAB.host1Ip, labels: {} }, { id: 'other-range', ip: LAB.otherIp, labels: {} })
  }

  endpoint(id: string): Endpoint {
    const e = this.endpoints.find((x) => x.id === id)
    if (!e) throw new Error(`no endpoint ${id}`)
    return e
  }

  private entityMatches(policy: Policy, e: EntityRule | undefined, peer: Endpoint): boolean {
    if (!e) return true
    if (e.nets && !e.nets.some((n) => cidrContains(parseCidr(n)!, parseIPv4(peer.ip)!))) return false
    if (e.selector || e.namespaceSelector) {
      if (!peer.namespace) return false
      const nsOk = e.namespaceSelector ? selects(e.namespaceSelector, NS_LABELS(peer.namespace)) : peer.namespace === policy.metadata.namespace
      if (!nsOk) return false
      if (e.selector && !selects(e.selector, peer.labels)) return false
    }
    return true
  }

  /** Whether `ep`'s own policies allow `peer` in `dir` on port/protocol. */
  allowedBy(ep: Endpoint, dir: 'Ingress' | 'Egress', peer: Endpoint, port: number, protocol: string): boolean {
    const selecting = this.policies.filter((p) => ep.namespace === p.metadata.namespace && selects(p.spec.selector ?? 'all()', ep.labels) && (p.spec.types ?? []).includes(dir))
    if (selecting.length === 0) return true
    return selecting.some((p) => (dir === 'Ingress' ? p.spec.ingress : p.spec.egress)?.some((r) => {
      if (r.action !== 'Allow' || (r.protocol && r.protocol !== protocol)) return false
      const ports = r.destination?.ports
      if (ports && !ports.includes(port)) return false
      return this.entityMatches(p, dir === 'Ingress' ? r.source : r.destination, peer)
    }))
  }

  allowed(src: Endpoint, dst: Endpoint, port: number, protocol = 'TCP'): boolean {
    return this.allowedBy(src, 'Egress', dst, port, protocol) && this.allowedBy(dst, 'Ingress', src, port, protocol)
  }
}
