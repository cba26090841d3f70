// The policy steps of the demo, declared once: id, file, title. Everything else derives from this list — each step's
// apply and remove actions, the matrix of each demo moment (matrices.ts), the preflight's policy names (read from the
// files), the tests' file lists, and what a slide's `<PolicyStep step="details"/>` shows. No Node modules: the deck
// imports this too.
import { LAB } from './lab.ts'
import type { ApplyAction, DeleteAction } from './types.ts'

/**
 * One file per step (manifests/49-…, 5*-policy-*.yaml), applied in this order; a slide's heading says "Step <n>" with
 * n its position here. The first is the default deny *staged*: Calico evaluates it and its flow logs say what it would
 * drop, while every connection still flows; the second enforces the same spec.
 */
export const POLICY_STEPS = [
  { id: 'default-deny-staged', file: 'manifests/49-policy-default-deny-staged.yaml', title: 'default deny in dev1, staged: previewed, not enforced' },
  { id: 'default-deny', file: 'manifests/50-policy-default-deny.yaml', title: 'default deny in dev1 enforced, DNS egress allowed' },
  { id: 'productpage', file: 'manifests/51-policy-productpage.yaml', title: 'productpage → details, reviews' },
  { id: 'details', file: 'manifests/52-policy-details.yaml', title: 'details ← productpage' },
  { id: 'reviews', file: 'manifests/53-policy-reviews.yaml', title: 'reviews ← productpage; reviews v2/v3 → ratings' },
  { id: 'ratings', file: 'manifests/54-policy-ratings.yaml', title: 'ratings ← reviews v2/v3' },
  { id: 'outside-range', file: 'manifests/55-policy-outside-range.yaml', title: `productpage ← ${LAB.allowedRange} only` },
] as const

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

/** Applying step k re-runs the matrix of moment k; removing it, the one of moment k-1. */
export const policyStepActions: Array<ApplyAction | DeleteAction> = policySteps.flatMap((step): Array<ApplyAction | DeleteAction> => [
  { id: step.apply, title: step.title, kind: 'apply', manifests: [step.file], namespaces: [LAB.namespace], timeoutMs: STEP_TIMEOUT_MS, then: step.matrix },
  { id: step.remove, title: `Remove: ${step.title}`, kind: 'delete', manifests: [step.file], namespaces: [LAB.namespace], timeoutMs: STEP_TIMEOUT_MS, then: matrixAfterSteps(step.number - 1) },
])
