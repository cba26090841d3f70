// The `reach` case file (the public contract of `npm run reach -- CASE.json`): schema, loading and running.
//
// {
//   "name": "…", "source": "https://…" (optional, where the expected behaviour is documented),
//   "namespaces": [{"name": "x", "labels": {…}}],
//   "pods": [{"namespace": "x", "name": "a", "labels": {…}, "ip": "10.0.1.1", "serviceAccount": "default",
//             "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}]}],
//   "serviceAccounts": [{"namespace": "x", "name": "sa", "labels": {…}}]   (optional, for SA label selectors)
//   "policies": [ Kubernetes NetworkPolicy | Calico NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet,
//                 GlobalNetworkSet … ],
//   "probes": [{"from": "x/a", "to": "x/b", "port": 80, "protocol": "TCP"}, {"from": "203.0.113.7", …}],
//   "expected": [true, false]   (optional; one per probe)
//   "expectedPending": [true, false]   (optional, with staged policies: the pending verdict per probe)
// }
import { z } from 'zod'
import type { PolicySet } from './compiled.ts'
import { buildModel, CaseError, PROTOCOLS, type ClusterModel, type Protocol } from './model.ts'
import { compilePolicies } from './policySet.ts'
import { checkProbe, Evaluator, type Probe, type ProbeResult } from './reachability.ts'
import { zodIssues } from './validation.ts'

const labels = z.record(z.string(), z.string())

export const caseFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1),
    source: z.union([z.string(), z.array(z.string())]).optional(),
    description: z.string().optional(),
    namespaces: z.array(z.strictObject({ name: z.string().min(1), labels: labels.optional() })),
    pods: z.array(
      z.strictObject({
        namespace: z.string().min(1),
        name: z.string().min(1),
        labels: labels.optional(),
        ip: z.string(),
        serviceAccount: z.string().min(1).optional(),
        ports: z
          .array(
            z.strictObject({
              name: z.string().min(1).optional(),
              containerPort: z.number().int().min(1).max(65535),
              protocol: z.enum(PROTOCOLS).optional(),
            }),
          )
          .optional(),
      }),
    ),
    serviceAccounts: z
      .array(z.strictObject({ namespace: z.string().min(1), name: z.string().min(1), labels: labels.optional() }))
      .optional(),
    policies: z.array(z.unknown()).optional(),
    probes: z
      .array(
        z.strictObject({
          from: z.string().min(1),
          to: z.string().min(1),
          port: z.number().int().min(1).max(65535),
          protocol: z.enum(PROTOCOLS).optional(),
        }),
      )
      .min(1, 'a case needs at least one probe'),
    expected: z.array(z.boolean()).optional(),
    expectedPending: z.array(z.boolean()).optional(),
  })
  .superRefine((c, ctx) => {
    for (const field of ['expected', 'expectedPending'] as const) {
      const list = c[field]
      if (list && list.length !== c.probes.length) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `has ${list.length} entries but there are ${c.probes.length} probes (one boolean per probe)`,
        })
      }
    }
  })

export type CaseFile = z.infer<typeof caseFileSchema>

export interface LoadedCase {
  readonly name: string
  readonly source: readonly string[]
  readonly model: ClusterModel
  readonly policies: PolicySet
  readonly probes: readonly (Probe & { readonly protocol: Protocol })[]
  readonly expected: readonly boolean[] | undefined
  readonly expectedPending: readonly boolean[] | undefined
}

/** Validates a parsed case file and builds its model and policies; throws CaseError listing every problem. */
export function loadCase(json: unknown): LoadedCase {
  const parsed = caseFileSchema.safeParse(json)
  if (!parsed.success) throw new CaseError(zodIssues(parsed.error, ''))
  const c = parsed.data
  const model = buildModel({ namespaces: c.namespaces, pods: c.pods, serviceAccounts: c.serviceAccounts })
  const policies = compilePolicies(c.policies ?? [], model)
  const probes = c.probes.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }))
  const problems = probes.flatMap((p, i) => checkProbe(model, p, `probes[${i}]`))
  if (problems.length > 0) throw new CaseError(problems)
  const source = c.source === undefined ? [] : Array.isArray(c.source) ? c.source : [c.source]
  if (c.expectedPending && !policies.pending) {
    throw new CaseError(['expectedPending: the case has no staged policy (stagedAction Set) to give a pending verdict'])
  }
  return { name: c.name, source, model, policies, probes, expected: c.expected, expectedPending: c.expectedPending }
}

/** One line of `reach` output: exactly these fields, in this order (`pending` only when the case has staged policies). */
export interface ReachResult {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
  readonly allowed: boolean
  readonly reason: string
  /** the verdict with staged policies evaluated as if enforced (what flow logs record as pending) */
  readonly pending?: { readonly allowed: boolean; readonly reason: string }
}

export interface ReachMismatch extends ReachResult {
  readonly index: number
  readonly expected: boolean
  /** set on a mismatch of the pending verdict: `allowed` and `reason` are then the pending ones */
  readonly verdict?: 'pending'
}

export interface CaseRun {
  readonly name: string
  readonly results: readonly ReachResult[]
  /** Full verdicts (egress and ingress), same order as results. */
  readonly details: readonly ProbeResult[]
  /** Present when the case has `expected`. */
  readonly mismatches: readonly ReachMismatch[] | undefined
}

export function runLoadedCase(loaded: LoadedCase): CaseRun {
  const evaluator = new Evaluator(loaded.model, loaded.policies)
  const details = loaded.probes.map((p) => evaluator.decide(p))
  const results: ReachResult[] = details.map(({ from, to, port, protocol, allowed, reason, pendingDecision }) => ({
    from, to, port, protocol, allowed, reason,
    ...(pendingDecision ? { pending: { allowed: pendingDecision.allowed, reason: pendingDecision.reason } } : {}),
  }))
  const enforcedMismatches = (loaded.expected ?? []).flatMap((expected, index) => {
    const r = results[index] as ReachResult
    return r.allowed === expected ? [] : [{ index, ...r, expected }]
  })
  // A pending mismatch reads like an enforced one: `allowed` / `reason` are the pending verdict's.
  const pendingMismatches = (loaded.expectedPending ?? []).flatMap((expected, index) => {
    const r = results[index] as ReachResult
    const pending = r.pending as NonNullable<ReachResult['pending']>
    return pending.allowed === expected
      ? []
      : [{ index, from: r.from, to: r.to, port: r.port, protocol: r.protocol, allowed: pending.allowed, reason: `pending (staged policies as if enforced): ${pending.reason}`, expected, verdict: 'pending' as const }]
  })
  const mismatches = loaded.expected || loaded.expectedPending ? [...enforcedMismatches, ...pendingMismatches] : undefined
  return { name: loaded.name, results, details, mismatches }
}

/** The whole `reach CASE.json` path: validate, build, decide every probe. Throws CaseError on a bad case. */
export function runCase(json: unknown): CaseRun {
  return runLoadedCase(loadCase(json))
}
