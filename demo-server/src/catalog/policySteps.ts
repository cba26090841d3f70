// The policy steps of the demo, declared once: id, file, title. Everything else derives from this list — each step's
// apply and remove actions, the matrix of each demo moment (matrices.ts), the preflight's policy names (read from the
// files), the tests' file lists, and what a slide's `<PolicyStep step="details"/>` shows. No Node modules: the deck
// imports this too.
import { LAB } from './lab.ts'
import type { ApplyAction, DeleteAction } from './types.ts'

/**
 * One file per step (manifests/49-…, 5*-policy-*.yaml), applied in this order; a slide's heading says "Step <n>" with
 * n its position here. The first two are the platform's: its default deny for dev1 and DNS for the pods that call
 * someone, GlobalNetworkPolicies in the platform's own tiers (manifests/42), first *staged* (Calico evaluates it and
 * its flow logs say what it would drop, while every connection still flows), then enforced. Each later step is dev1's
 * and opens one flow, both ends at once (client egress, server ingress), so each changes the matrix by that flow only.
 */
export const POLICY_STEPS = [
  { id: 'default-deny-staged', file: 'manifests/49-policy-platform-default-deny-staged.yaml', title: 'platform default deny for dev1, staged (not enforced)', clusterScoped: true },
  { id: 'default-deny', file: 'manifests/50-policy-platform-default-deny.yaml', title: 'platform default deny for dev1', clusterScoped: true },
  { id: 'details', file: 'manifests/51-policy-productpage-to-details.yaml', title: 'productpage → details', clusterScoped: false },
  { id: 'reviews', file: 'manifests/52-policy-productpage-to-reviews.yaml', title: 'productpage → reviews', clusterScoped: false },
  { id: 'ratings', file: 'manifests/53-policy-reviews-to-ratings.yaml', title: 'reviews v2/v3 → ratings', clusterScoped: false },
  { id: 'outside-range', file: 'manifests/54-policy-outside-range.yaml', title: `${LAB.allowedRange} → productpage`, clusterScoped: false },
] as const

/** The tiers the platform's steps write into (manifests/42): applied with the lab, never by a step. */
export const POLICY_TIERS_FILE = 'manifests/42-policy-tiers.yaml'

export type PolicyStepId = (typeof POLICY_STEPS)[number]['id']

/** The summary matrix: every policy step applied. */
export const REACH_MATRIX_ID = 'reach-matrix'

/**
 * The probe matrix of the demo moment "the first n policy steps applied". Applying step k re-runs the matrix of moment
 * k, removing it the one of moment k-1, so each slide — and the export — keeps its own last run.
 */
export const matrixAfterSteps = (n: number): string => (n >= POLICY_STEPS.length ? REACH_MATRIX_ID : `reach-matrix-step-${n}`)

export interface PolicyStep {
  id: PolicyStepId
  file: string
  /** "Step <number> · <what it does>" */
  title: string
  /** the platform's steps: GlobalNetworkPolicies, outside any namespace */
  clusterScoped: boolean
  /** 1-based position in the demo */
  number: number
  /** action ids: apply the file, remove it, and the matrix either re-runs */
  apply: string
  remove: string
  /** the matrix of the moment after this step (what the step's slide shows) */
  matrix: string
}

export const policySteps: PolicyStep[] = POLICY_STEPS.map((step, i) => ({
  ...step,
  title: `Step ${i + 1} · ${step.title}`,
  number: i + 1,
  apply: `policy-${step.id}-apply`,
  remove: `policy-${step.id}-delete`,
  matrix: matrixAfterSteps(i + 1),
}))

export function policyStep(id: string): PolicyStep | undefined {
  return policySteps.find((s) => s.id === id)
}

const STEP_TIMEOUT_MS = 15_000
/**
 * manifests.ts CLUSTER_SCOPE, written out because the deck imports this file: the platform's steps change
 * cluster-scoped GlobalNetworkPolicies. The catalog's scope check (scopeViolation) refuses the step at start-up if
 * this ever drifts.
 */
const CLUSTER_SCOPE = '(cluster)'
const scopeOf = (step: PolicyStep): string[] => (step.clusterScoped ? [LAB.namespace, CLUSTER_SCOPE] : [LAB.namespace])

/** Applying step k re-runs the matrix of moment k; removing it, the one of moment k-1. */
export const policyStepActions: Array<ApplyAction | DeleteAction> = policySteps.flatMap((step): Array<ApplyAction | DeleteAction> => [
  { id: step.apply, title: step.title, kind: 'apply', manifests: [step.file], namespaces: scopeOf(step), timeoutMs: STEP_TIMEOUT_MS, then: step.matrix },
  { id: step.remove, title: `Remove: ${step.title}`, kind: 'delete', manifests: [step.file], namespaces: scopeOf(step), timeoutMs: STEP_TIMEOUT_MS, then: matrixAfterSteps(step.number - 1) },
])
