// Validates and compiles a list of policy resources (any mix of Kubernetes NetworkPolicy and Calico
// NetworkPolicy / GlobalNetworkPolicy / Tier / NetworkSet / GlobalNetworkSet) into tiers of ordered policies.
import { compileCalicoPolicy, DEFAULT_TIER, parseCalicoPolicy, parseNetworkSet, parseTier, type CalicoPolicy } from './calicoPolicy.ts'
import { compareNames, compareOrder, type CompileContext, type CompiledPolicy, type PolicySet, type TierInfo } from './compiled.ts'
import { compileKubernetesNetworkPolicy, parseKubernetesNetworkPolicy, type KubernetesNetworkPolicy } from './kubernetesPolicy.ts'
import { buildNetworkSet, CaseError, type ClusterModel, type NetworkSetInput } from './model.ts'
import { compileStaged, parseStaged, type ParsedStaged } from './staged.ts'

export const SUPPORTED_KINDS = [
  'networking.k8s.io/v1 NetworkPolicy',
  'projectcalico.org/v3 NetworkPolicy',
  'projectcalico.org/v3 GlobalNetworkPolicy',
  'projectcalico.org/v3 Tier',
  'projectcalico.org/v3 NetworkSet',
  'projectcalico.org/v3 GlobalNetworkSet',
  'projectcalico.org/v3 StagedNetworkPolicy',
  'projectcalico.org/v3 StagedGlobalNetworkPolicy',
  'projectcalico.org/v3 StagedKubernetesNetworkPolicy',
] as const

function describeResource(r: unknown): { apiVersion: string; kind: string; name: string } {
  const o = (typeof r === 'object' && r !== null ? r : {}) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }
  const ns = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : ''
  return {
    apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : '?',
    kind: typeof o.kind === 'string' ? o.kind : '?',
    name: typeof o.metadata?.name === 'string' ? `${ns}${o.metadata.name}` : '?',
  }
}

/** True for the resource kinds compilePolicies understands. */
export function isPolicyResource(r: unknown): boolean {
  const d = describeResource(r)
  return (SUPPORTED_KINDS as readonly string[]).includes(`${d.apiVersion} ${d.kind}`)
}

export interface CompileOptions {
  /** Label used in messages for resources[i]; default "policies". */
  readonly field?: string
}

/** Throws CaseError listing every problem (one line each, with the path to the field). */
export function compilePolicies(resources: readonly unknown[], model: ClusterModel, options: CompileOptions = {}): PolicySet {
  const field = options.field ?? 'policies'
  const issues: string[] = []
  const tiers = new Map<string, TierInfo>([[DEFAULT_TIER.name, DEFAULT_TIER]])
  const networkSetInputs: NetworkSetInput[] = []
  const kube: { np: KubernetesNetworkPolicy; where: string }[] = []
  const calico: { p: CalicoPolicy; where: string }[] = []
  const staged: { p: ParsedStaged; where: string }[] = []
  const seen = new Set<string>()

  resources.forEach((r, i) => {
    const d = describeResource(r)
    const where = `${field}[${i}] (${d.kind} ${d.name})`
    const identity = `${d.apiVersion} ${d.kind} ${d.name}`
    if (seen.has(identity) && d.name !== '?') issues.push(`${where}: ${d.kind} ${d.name} is defined twice`)
    seen.add(identity)
    switch (`${d.apiVersion} ${d.kind}`) {
      case 'networking.k8s.io/v1 NetworkPolicy': {
        const np = parseKubernetesNetworkPolicy(r, where, issues)
        if (np) kube.push({ np, where })
        break
      }
      case 'projectcalico.org/v3 NetworkPolicy':
      case 'projectcalico.org/v3 GlobalNetworkPolicy': {
        const p = parseCalicoPolicy(r, d.kind as 'NetworkPolicy' | 'GlobalNetworkPolicy', where, issues)
        if (p) calico.push({ p, where })
        break
      }
      case 'projectcalico.org/v3 Tier': {
        const t = parseTier(r, where, issues)
        if (t) tiers.set(t.name, t.name === 'default' ? { ...DEFAULT_TIER, defaultAction: t.defaultAction } : t)
        break
      }
      case 'projectcalico.org/v3 NetworkSet':
      case 'projectcalico.org/v3 GlobalNetworkSet': {
        const s = parseNetworkSet(r, d.kind as 'NetworkSet' | 'GlobalNetworkSet', where, issues)
        if (s) networkSetInputs.push(s)
        break
      }
      case 'projectcalico.org/v3 StagedNetworkPolicy':
      case 'projectcalico.org/v3 StagedGlobalNetworkPolicy':
      case 'projectcalico.org/v3 StagedKubernetesNetworkPolicy': {
        const p = parseStaged(r, where, issues)
        if (p) staged.push({ p, where })
        break
      }
      default: {
        const hint = d.apiVersion === 'crd.projectcalico.org/v1' ? ' (write Calico resources as projectcalico.org/v3)' : ''
        issues.push(`${where}: unsupported resource ${d.apiVersion} ${d.kind}${hint}; supported: ${SUPPORTED_KINDS.join(', ')}`)
      }
    }
  })

  const networkSets = networkSetInputs.map((s) => buildNetworkSet(model, s, issues))
  const ctx: CompileContext = { model, networkSets, knownTiers: new Set(tiers.keys()) }
  const policies: CompiledPolicy[] = []
  for (const { np } of kube) policies.push(compileKubernetesNetworkPolicy(np, ctx))
  for (const { p, where } of calico) {
    const compiled = compileCalicoPolicy(p, where, ctx, issues)
    if (compiled) policies.push(compiled)
  }
  const stagedSet: CompiledPolicy[] = []
  for (const { p, where } of staged) {
    // a Delete is validated like a Set (the API server checks its spec) but never evaluated
    const compiled = compileStaged(p, where, ctx, issues)
    if (compiled && p.stagedAction === 'Set') stagedSet.push(compiled)
  }
  if (issues.length > 0) throw new CaseError(issues)
  const enforced = assemblePolicySet([...tiers.values()], policies, networkSets)
  const deletes = staged.filter((s) => s.p.stagedAction === 'Delete').map((s) => s.p.name)
  if (stagedSet.length === 0 && deletes.length === 0) return enforced
  return {
    ...enforced,
    ...(stagedSet.length > 0 ? { pending: assemblePolicySet([...tiers.values()], [...policies, ...stagedSet], networkSets) } : {}),
    ...(deletes.length > 0 ? { stagedDeletes: deletes } : {}),
  }
}

/** Sorts tiers and policies the way Felix does (calc/policy_sorter.go). */
export function assemblePolicySet(tiers: readonly TierInfo[], policies: readonly CompiledPolicy[], networkSets: PolicySet['networkSets'] = []): PolicySet {
  const sortedTiers = [...tiers].sort((a, b) => compareOrder(a.order, b.order) || compareNames(a.name, b.name))
  const policiesByTier = new Map<string, CompiledPolicy[]>(sortedTiers.map((t) => [t.name, []]))
  for (const p of policies) policiesByTier.get(p.tier)?.push(p)
  for (const list of policiesByTier.values()) list.sort((a, b) => compareOrder(a.order, b.order) || compareNames(a.id, b.id))
  return { tiers: sortedTiers, policiesByTier, policies, networkSets }
}
