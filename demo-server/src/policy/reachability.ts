// Deciding one connection: the source pod's egress policy AND the destination pod's ingress policy, each
// evaluated the way Felix does (https://docs.tigera.io/calico/latest/reference/resources/tier, "How policy
// is evaluated"):
// - tiers in order; a tier with no policy selecting the endpoint for this direction is skipped entirely;
// - inside a tier, policies in order and their rules in order: Allow/Deny decide, Log records and goes on,
//   Pass leaves the tier for the next one;
// - a tier that selected the endpoint but matched nothing applies its defaultAction (Deny unless Pass);
// - past the last tier, the endpoint's profiles apply: for a Kubernetes pod, kns.<namespace>, which allows.
// An address outside the cluster has no policy of its own: only the pod side is evaluated. A pod talking
// to its own IP never leaves its network namespace, so no policy sees it (the e2e suite's AllowLoopback).
import type { ReachResult } from './caseFile.ts'
import type { CompiledPolicy, Direction, Packet, Peer, PolicySet, RuleAction } from './compiled.ts'
import { CaseError, parseIPv4, PROTOCOLS, type ClusterModel, type Pod, type Protocol } from './model.ts'
import { compilePolicies } from './policySet.ts'

export interface Probe {
  /** "namespace/pod" or a bare IPv4 address. */
  readonly from: string
  readonly to: string
  readonly port: number
  /** Defaults to TCP. */
  readonly protocol?: Protocol | undefined
}

export type DecidedBy = 'rule' | 'end-of-tier' | 'profile' | 'outside-cluster' | 'loopback'

export interface Verdict {
  readonly direction: Direction
  /** The endpoint whose policy this is: "namespace/pod" or an IP. */
  readonly endpoint: string
  readonly allowed: boolean
  readonly decidedBy: DecidedBy
  readonly tier?: string | undefined
  readonly policy?: string | undefined
  readonly rule?: string | undefined
  readonly action?: RuleAction | undefined
  /** Log and Pass steps met on the way, in order. */
  readonly trace: readonly string[]
  readonly reason: string
}

/** A `reach` result with the verdict of each side. */
export interface ProbeResult extends ReachResult {
  readonly egress: Verdict
  readonly ingress: Verdict
  /** With staged policies: the verdict Felix's flow logs record as pending (staged policies evaluated as if enforced). */
  readonly pendingDecision?: Decision
}

/** One connection decided: both sides and the overall answer. */
export type Decision = Pick<ProbeResult, 'allowed' | 'reason' | 'egress' | 'ingress'>

export function resolvePeer(model: ClusterModel, text: string): Peer | undefined {
  const ip = parseIPv4(text)
  if (ip !== undefined) {
    const pod = model.podsByIp.get(ip)
    return { ip, ipText: text, pod }
  }
  const pod = model.podsByKey.get(text)
  return pod ? { ip: pod.ipNumber, ipText: pod.ip, pod } : undefined
}

function peerName(p: Peer): string {
  return p.pod ? p.pod.key : p.ipText
}

/** Evaluates connections against one model and policy set, caching which policies select which pod. */
export class Evaluator {
  readonly model: ClusterModel
  readonly policies: PolicySet
  private readonly applicable = new Map<string, (readonly CompiledPolicy[])[]>()
  private pendingEvaluator: Evaluator | undefined

  constructor(model: ClusterModel, policies: PolicySet) {
    this.model = model
    this.policies = policies
  }

  /** Per tier (in tier order), the policies that select `pod` for `direction`. */
  private policiesFor(pod: Pod, direction: Direction): (readonly CompiledPolicy[])[] {
    const key = `${direction} ${pod.key}`
    let cached = this.applicable.get(key)
    if (!cached) {
      cached = this.policies.tiers.map((t) =>
        (this.policies.policiesByTier.get(t.name) ?? []).filter((p) => p.types.has(direction) && p.selects(pod)))
      this.applicable.set(key, cached)
    }
    return cached
  }

  /** The verdict of `pod`'s policy for `packet` in `direction`. */
  verdict(pod: Pod, direction: Direction, packet: Packet): Verdict {
    const trace: string[] = []
    const dir = direction === 'ingress' ? 'ingress to' : 'egress from'
    const after = (): string => (trace.length > 0 ? ` [after ${trace.join('; ')}]` : '')
    const perTier = this.policiesFor(pod, direction)
    for (const [ti, tier] of this.policies.tiers.entries()) {
      const policies = perTier[ti] ?? []
      if (policies.length === 0) continue
      let passed = false
      scan: for (const policy of policies) {
        for (const rule of direction === 'ingress' ? policy.ingress : policy.egress) {
          const detail = rule.match(packet)
          if (detail === undefined) continue
          const where = `tier ${tier.name} › ${policy.id} ${rule.label}${detail ? ` ${detail}` : ''}`
          if (rule.action === 'Log') {
            trace.push(`${where}: Log`)
            continue
          }
          if (rule.action === 'Pass') {
            trace.push(`${where}: Pass to the next tier`)
            passed = true
            break scan
          }
          const allowed = rule.action === 'Allow'
          return {
            direction, endpoint: pod.key, allowed, decidedBy: 'rule', tier: tier.name, policy: policy.id,
            rule: rule.label, action: rule.action, trace,
            reason: `${dir} ${pod.key}: ${allowed ? 'allowed' : 'denied'} by ${where} (${rule.action})${after()}`,
          }
        }
      }
      if (passed) continue
      const names = policies.map((p) => p.id).join(', ')
      if (tier.defaultAction === 'Pass') {
        trace.push(`tier ${tier.name}: no rule matched (${names}); defaultAction Pass`)
        continue
      }
      return {
        direction, endpoint: pod.key, allowed: false, decidedBy: 'end-of-tier', tier: tier.name, trace,
        reason: `${dir} ${pod.key}: denied at end of tier ${tier.name}: selected by ${names}, no rule matched${after()}`,
      }
    }
    const profile = `profile kns.${pod.namespace}`
    const why = trace.length > 0
      ? `no tier decided (${trace.join('; ')})`
      : `no policy selects it for ${direction}`
    return { direction, endpoint: pod.key, allowed: true, decidedBy: 'profile', trace, reason: `${dir} ${pod.key}: ${why} → allowed by ${profile}` }
  }

  /**
   * The pending verdict (staged.ts): the same evaluation over the enforced and staged policies together; undefined
   * when the set has no staged policy to preview.
   */
  decidePending(packet: Packet): Decision | undefined {
    return this.pending()?.decidePacket(packet)
  }

  /** The evaluator of the pending set (enforced and staged policies together); undefined without staged policies. */
  pending(): Evaluator | undefined {
    if (!this.policies.pending) return undefined
    this.pendingEvaluator ??= new Evaluator(this.model, this.policies.pending)
    return this.pendingEvaluator
  }

  /** Decides one connection from `src` to `dst`. */
  decidePacket(packet: Packet): Decision {
    const { src, dst } = packet
    if (src.pod && dst.pod && src.pod === dst.pod) {
      const reason = `same pod ${src.pod.key}: traffic to its own IP stays in its network namespace, no policy applies`
      const loop = (direction: Direction): Verdict => ({ direction, endpoint: src.pod?.key ?? '', allowed: true, decidedBy: 'loopback', trace: [], reason })
      return { allowed: true, reason, egress: loop('egress'), ingress: loop('ingress') }
    }
    const outside = (direction: Direction, p: Peer): Verdict => ({
      direction, endpoint: p.ipText, allowed: true, decidedBy: 'outside-cluster', trace: [],
      reason: `${p.ipText} is outside the cluster: no ${direction} policy of its own`,
    })
    const egress = src.pod ? this.verdict(src.pod, 'egress', packet) : outside('egress', src)
    const ingress = dst.pod ? this.verdict(dst.pod, 'ingress', packet) : outside('ingress', dst)
    const allowed = egress.allowed && ingress.allowed
    let reason: string
    if (!egress.allowed) reason = egress.reason
    else if (!ingress.allowed) reason = ingress.reason
    else reason = `${egress.reason}; ${ingress.reason}`
    return { allowed, reason, egress, ingress }
  }

  /** Resolves and decides a probe; throws CaseError for an unknown pod or two outside addresses. */
  decide(probe: Probe): ProbeResult {
    const protocol = probe.protocol ?? 'TCP'
    const problems = checkProbe(this.model, probe)
    if (problems.length > 0) throw new CaseError(problems)
    const src = resolvePeer(this.model, probe.from) as Peer
    const dst = resolvePeer(this.model, probe.to) as Peer
    const packet = { src, dst, protocol, port: probe.port }
    const decision = this.decidePacket(packet)
    const pending = this.decidePending(packet)
    return { from: probe.from, to: probe.to, port: probe.port, protocol, ...decision, ...(pending ? { pendingDecision: pending } : {}) }
  }
}

/** Problems with a probe against a model (unknown pods, bad port/protocol, two outside endpoints). */
export function checkProbe(model: ClusterModel, probe: Probe, where = 'probe'): string[] {
  const problems: string[] = []
  const from = resolvePeer(model, probe.from)
  const to = resolvePeer(model, probe.to)
  for (const [field, text, peer] of [['from', probe.from, from], ['to', probe.to, to]] as const) {
    if (!peer) {
      problems.push(text.includes('/')
        ? `${where}.${field}: no pod "${text}" in the model`
        : `${where}.${field}: "${text}" is neither "namespace/pod" nor an IPv4 address`)
    }
  }
  if (from && to && !from.pod && !to.pod) problems.push(`${where}: both ends are outside the cluster (${peerName(from)} → ${peerName(to)}); one must be a pod`)
  if (!Number.isInteger(probe.port) || probe.port < 1 || probe.port > 65535) problems.push(`${where}.port: ${probe.port} is not a port (1-65535)`)
  if (probe.protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(probe.protocol)) {
    problems.push(`${where}.protocol: "${String(probe.protocol)}" is not one of ${PROTOCOLS.join(', ')}`)
  }
  return problems
}

/**
 * Decides every probe, in order. `policies` is either a compiled PolicySet or the raw resources (which are
 * validated first; CaseError on any problem).
 */
export function evaluate(model: ClusterModel, policies: PolicySet | readonly unknown[], probes: readonly Probe[]): ProbeResult[] {
  const set = Array.isArray(policies) ? compilePolicies(policies, model) : (policies as PolicySet)
  const evaluator = new Evaluator(model, set)
  const problems = probes.flatMap((p, i) => checkProbe(model, p, `probes[${i}]`))
  if (problems.length > 0) throw new CaseError(problems)
  return probes.map((p) => evaluator.decide(p))
}
