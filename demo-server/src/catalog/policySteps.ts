// The policy steps of the demo, declared once: id, file, title. Everything else derives from this list — each step's
// apply and remove actions, the matrix of each demo moment (matrices.ts), the preflight's policy names (read from the
// files), the tests' file lists, and what a slide's `<PolicyStep step="details"/>` shows. No Node modules: the deck
// imports this too.
import { LAB } from './lab.ts'
import type { ApplyAction, DeleteAction } from './types.ts'

/** One file per step (manifests/5*-policy-*.yaml), applied in this order. */
export const POLICY_STEPS = [
  { id: 'default-deny', file: 'manifests/50-policy-default-deny.yaml', title: 'Step 1 · default deny in dev1, DNS egress allowed' },
  { id: 'productpage', file: 'manifests/51-policy-productpage.yaml', title: 'Step 2 · productpage → details, reviews' },
  { id: 'details', file: 'manifests/52-policy-details.yaml', title: 'Step 3 · details ← productpage' },
  { id: 'reviews', file: 'manifests/53-policy-reviews.yaml', title: 'Step 4 · reviews ← productpage; reviews v2/v3 → ratings' },
  { id: 'ratings', file: 'manifests/54-policy-ratings.yaml', title: 'Step 5 · ratings ← reviews v2/v3' },
  { id: 'outside-range', file: 'manifests/55-policy-outside-range.yaml', title: `Step 6 · productpage ← ${LAB.allowedRange} only` },
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
