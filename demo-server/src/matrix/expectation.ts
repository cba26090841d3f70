// The expected opinion of every cell: the policy engine (demo-server/src/policy) on a cluster model — read through the
// API during a run (clusterRead.ts), or derived from manifests/ before any run (offline.ts).
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import { CaseError, Evaluator } from '../policy/index.ts'
import type { ClusterModel, Decision, PolicySet, Pod, ProbeResult, Verdict as SideVerdict } from '../policy/index.ts'
import { matchesLabelSelectorText } from '../policy/labelSelector.ts'
import type { Packet, Peer } from '../policy/compiled.ts'
import { matrixHeader } from './model.ts'
import type { EngineSideLine, EngineView, HeaderLine, OpinionLine, Verdict } from './wire.ts'

export interface EngineInputs {
  model: ClusterModel
  policies: PolicySet
  /** "Kind ns/name" of every policy resource used */
  policyNames: string[]
  notes: string[]
}

/** "Kind ns/name" of a resource. */
export const resourceName = (r: unknown): string => {
  const o = r as { kind?: string; metadata?: { name?: string; namespace?: string } }
  return `${o.kind ?? '?'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`
}

/**
 * A pod reaching its own Service: kube-proxy sends the packet back to the pod it came from (hairpin). Unlike a
 * connection to its own IP (which never leaves the pod, and which the engine rightly never polices), this packet
 * leaves through the pod's interface and comes back in, so the pod's egress and ingress policy both see it.
 * (kube-proxy also masquerades hairpin traffic, so ingress sees the node's address; the pod's own is used here.)
 */
function hairpin(evaluator: Evaluator, pod: Pod, target: MatrixTarget): ProbeResult {
  const self: Peer = { ip: pod.ipNumber, ipText: pod.ip, pod }
  const packet: Packet = { src: self, dst: self, protocol: target.protocol, port: target.port }
  const both = (e: Evaluator): Decision => {
    const egress = e.verdict(pod, 'egress', packet)
    const ingress = e.verdict(pod, 'ingress', packet)
    const why = !egress.allowed ? egress.reason : !ingress.allowed ? ingress.reason : `${egress.reason}; ${ingress.reason}`
    return { allowed: egress.allowed && ingress.allowed, egress, ingress, reason: `through its own Service (hairpin: out of the pod and back in, policed both ways): ${why}` }
  }
  const pending = evaluator.pending()
  return { from: pod.key, to: pod.key, port: target.port, protocol: target.protocol, ...both(evaluator), ...(pending ? { pendingDecision: both(pending) } : {}) }
}

/** One side of a decision without its prose. */
function sideLine(v: SideVerdict): EngineSideLine {
  return {
    allowed: v.allowed,
    decidedBy: v.decidedBy,
    ...(v.tier !== undefined ? { tier: v.tier.slice(0, 253) } : {}),
    ...(v.policy !== undefined ? { policy: v.policy.slice(0, 300) } : {}),
    ...(v.rule !== undefined ? { rule: v.rule.slice(0, 40) } : {}),
  }
}

function sidesOf(d: Pick<ProbeResult, 'egress' | 'ingress'>): Pick<EngineView, 'decidedBy' | 'egress' | 'ingress'> {
  return { decidedBy: !d.egress.allowed ? 'source' : !d.ingress.allowed ? 'destination' : 'both', egress: sideLine(d.egress), ingress: sideLine(d.ingress) }
}

/**
 * How the engine decided, side by side — when every backend was decided the same way (else there is no one answer to
 * compare with Calico's), with the pending verdict of staged policies when the policy set has any.
 */
function engineView(results: readonly ProbeResult[]): EngineView | undefined {
  const first = results[0]
  if (!first) return undefined
  const sides = sidesOf(first)
  if (results.some((r) => JSON.stringify(sidesOf(r)) !== JSON.stringify(sides))) return undefined
  const pending = first.pendingDecision
  const samePending = pending && results.every((r) => r.pendingDecision && JSON.stringify(sidesOf(r.pendingDecision)) === JSON.stringify(sidesOf(pending)))
  return {
    ...sides,
    ...(pending && samePending ? { pending: { verdict: pending.allowed ? 'allowed' : 'denied', ...sidesOf(pending), reason: pending.reason.slice(0, 2000) } } : {}),
  }
}

const verdictOf = (results: readonly ProbeResult[]): Verdict => {
  if (results.length === 0) return 'unknown'
  if (results.every((r) => r.allowed)) return 'allowed'
  if (results.every((r) => !r.allowed)) return 'denied'
  return 'mixed'
}

/**
 * One cell: the engine on every backend of the target (a Service sends a connection to one of them).
 * `from` is the source's engine name ("ns/pod" or an IP), "" when its pod was not found.
 */
function opinion(evaluator: Evaluator | undefined, source: MatrixSource, target: MatrixTarget, from: string, unknownWhy: string | undefined): OpinionLine {
  const base = { kind: 'opinion', by: 'expected', from: source.id, to: target.id } as const
  const unknown = (reason: string): OpinionLine => ({ ...base, verdict: 'unknown', reason: reason.slice(0, 4000) })
  if (!evaluator) return unknown(unknownWhy ?? 'no expectation')
  if (!from) return unknown(`no Running pod matches ${source.pod?.selector ?? '?'} in ${source.pod?.namespace ?? '?'}`)
  const backends = evaluator.model.pods.filter((p: Pod) => p.namespace === target.namespace && matchesLabelSelectorText(target.selector, p.labels))
  if (backends.length === 0) return unknown(`no pod behind ${target.service}.${target.namespace} (${target.selector})`)
  const results: ProbeResult[] = []
  try {
    for (const b of backends) {
      results.push(b.key === from ? hairpin(evaluator, b, target) : evaluator.decide({ from, to: b.key, port: target.port, protocol: target.protocol }))
    }
  } catch (error) {
    return unknown(error instanceof CaseError ? error.message : String(error))
  }
  const verdict = verdictOf(results)
  const via = source.outside && target.external
    ? `via the LoadBalancer ${target.external.ip}:${target.external.port}, DNAT to the pod's ${target.port} (externalTrafficPolicy: Local keeps ${from} as the source). `
    : ''
  const reason = results.length === 1
    ? `${via}${results[0]!.reason}`
    : `${via}${verdict === 'mixed' ? 'the backends disagree' : `${verdict} for all ${results.length} backends`}:\n${results.map((r) => `• ${r.to}: ${r.reason}`).join('\n')}`
  const engine = engineView(results)
  return { ...base, verdict, reason: reason.slice(0, 4000), ...(engine ? { engine } : {}) }
}

/**
 * The matrix's first line and the engine's opinion on every cell, from `inputs` (or every cell unknown, with `problem`
 * as the reason). `endpoints`: row id → "namespace/pod" (pods found) or the outside client's address.
 */
export function expectation(
  action: ProbeMatrixAction,
  source: HeaderLine['expected']['source'],
  inputs: EngineInputs | { problem: string },
  endpoints: ReadonlyMap<string, string>,
): { header: HeaderLine; opinions: OpinionLine[] } {
  const ok = 'model' in inputs
  const evaluator = ok ? new Evaluator(inputs.model, inputs.policies) : undefined
  const header = matrixHeader(action, endpoints, {
    source,
    computedAt: new Date().toISOString(),
    policies: ok ? inputs.policyNames.slice(0, 500).map((n) => n.slice(0, 300)) : [],
    notes: (ok ? inputs.notes : [inputs.problem]).map((n) => n.slice(0, 600)).slice(0, 50),
  })
  const opinions = action.sources.flatMap((s) => action.targets.map((t) => opinion(evaluator, s, t, endpoints.get(s.id) ?? '', ok ? undefined : inputs.problem)))
  return { header, opinions }
}
