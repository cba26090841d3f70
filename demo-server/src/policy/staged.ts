// Staged policies: StagedNetworkPolicy, StagedGlobalNetworkPolicy and StagedKubernetesNetworkPolicy
// (projectcalico.org/v3, all three present in Calico v3.31.7: api/pkg/apis/projectcalico/v3/staged*.go).
//
// What they do, per the docs (https://docs.tigera.io/calico/latest/network-policy/staged-network-policies,
// .../reference/resources/stagednetworkpolicy) and Calico v3.31.7's own code:
// - They never change traffic: Felix skips them when it programs the dataplane (felix/rules/policy.go:39-40,
//   felix/rules/endpoints.go:369-375), so the enforced verdict is the one without them.
// - Flow logs report what they would do: Felix re-evaluates each flow with every policy of the endpoint's tiers,
//   staged and enforced alike, in the usual order, and records that trace as "pending"
//   (felix/collector/collector.go:818-849 → app-policy/checker/check.go:112-209). A staged policy is one more policy
//   in its tier: its spec is the enforced kind's spec (ConvertStagedPolicyToEnforced, stagednetworkpolicy.go:147-154),
//   its name for ordering ties is "<ns>/staged:<name>" / "staged:<name>" / "<ns>/staged:knp.default.<name>"
//   (libcalico-go/lib/backend/syncersv1/updateprocessors/staged*processor.go). An enforced policy of the same name
//   stays in the pending evaluation too: nothing in the checker replaces it.
// - spec.stagedAction: Set (the default, policy_common.go:211-216) previews the policy; Delete is never sent to
//   Felix (staged*processor.go: "If the update type is delete return nil so the resource is not sent to felix"), so
//   in v3.31.7 it changes neither verdict.
import { z } from 'zod'
import { compileCalicoPolicy, parseCalicoPolicy } from './calicoPolicy.ts'
import type { CompileContext, CompiledPolicy } from './compiled.ts'
import { compileKubernetesNetworkPolicy, KUBERNETES_POLICY_PREFIX, parseKubernetesNetworkPolicy } from './kubernetesPolicy.ts'
import { zodIssues } from './validation.ts'

export const STAGED_KINDS = ['StagedNetworkPolicy', 'StagedGlobalNetworkPolicy', 'StagedKubernetesNetworkPolicy'] as const
export type StagedKind = (typeof STAGED_KINDS)[number]

/** Felix's prefix for staged policy names (libcalico-go/lib/backend/model/policy.go:37). */
export const STAGED_PREFIX = 'staged:'

const stagedEnvelope = z.object({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.enum(STAGED_KINDS),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
  spec: z.looseObject({ stagedAction: z.enum(['Set', 'Delete']).optional() }),
})

export interface ParsedStaged {
  readonly kind: StagedKind
  readonly stagedAction: 'Set' | 'Delete'
  /** "ns/name" or "name", for messages */
  readonly name: string
  /** the enforced resource it previews */
  readonly enforced: unknown
}

/** Validates a staged resource and rewrites it as the enforced resource it previews. */
export function parseStaged(resource: unknown, where: string, issues: string[]): ParsedStaged | undefined {
  const parsed = stagedEnvelope.safeParse(resource)
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, where))
    return undefined
  }
  const { kind, metadata, spec } = parsed.data
  const { stagedAction, ...enforcedSpec } = spec
  const enforced = kind === 'StagedKubernetesNetworkPolicy'
    ? { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec: enforcedSpec }
    : { apiVersion: 'projectcalico.org/v3', kind: kind === 'StagedNetworkPolicy' ? 'NetworkPolicy' : 'GlobalNetworkPolicy', metadata, spec: enforcedSpec }
  const name = kind === 'StagedGlobalNetworkPolicy' ? metadata.name : `${metadata.namespace ?? 'default'}/${metadata.name}`
  return { kind, stagedAction: stagedAction ?? 'Set', name, enforced }
}

/** Compiles a staged policy like its enforced kind, under its staged kind and Felix's staged name. */
export function compileStaged(p: ParsedStaged, where: string, ctx: CompileContext, issues: string[]): CompiledPolicy | undefined {
  let compiled: CompiledPolicy | undefined
  if (p.kind === 'StagedKubernetesNetworkPolicy') {
    const np = parseKubernetesNetworkPolicy(p.enforced, where, issues)
    compiled = np ? compileKubernetesNetworkPolicy(np, ctx) : undefined
  } else {
    const policy = parseCalicoPolicy(p.enforced, p.kind === 'StagedNetworkPolicy' ? 'NetworkPolicy' : 'GlobalNetworkPolicy', where, issues)
    compiled = policy ? compileCalicoPolicy(policy, where, ctx, issues) : undefined
  }
  if (!compiled) return undefined
  let id: string
  if (p.kind === 'StagedGlobalNetworkPolicy') id = `${STAGED_PREFIX}${compiled.name}`
  else if (p.kind === 'StagedKubernetesNetworkPolicy') id = `${compiled.namespace}/${STAGED_PREFIX}${KUBERNETES_POLICY_PREFIX}${compiled.name}`
  else id = `${compiled.namespace}/${STAGED_PREFIX}${compiled.name}`
  return { ...compiled, kind: p.kind, id, staged: true }
}
