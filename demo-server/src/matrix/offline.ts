// A matrix before any run (or with no cluster): the engine on manifests/ with the demo moment's policy steps applied,
// as matrix lines — the catalog message's `preview`, which the slide draws and labels "from manifests".
import { basename, join } from 'node:path'
import { POLICY_STEPS } from '../catalog/policySteps.ts'
import type { ProbeMatrixAction } from '../catalog/types.ts'
import { matchesLabelSelectorText } from '../policy/labelSelector.ts'
import { modelFromManifests } from '../policy/index.ts'
import { expectation, resourceName } from './expectation.ts'
import { lineText } from './wire.ts'

/** The expectation from manifests/, as matrix lines; an unreadable folder gives every cell "unknown" with the reason. */
export function offlineExpectation(action: ProbeMatrixAction, repoRoot: string): string {
  let result: ReturnType<typeof expectation>
  try {
    const steps = action.policyStepsApplied
    const later = steps === undefined ? [] : POLICY_STEPS.slice(steps).map((s) => basename(s.file))
    const m = modelFromManifests(join(repoRoot, action.manifestsDir), { skip: (path) => later.includes(basename(path)) })
    const applied = steps === undefined || steps >= POLICY_STEPS.length ? 'every policy applied' : steps === 0 ? 'no policy step applied yet' : `policy steps 1–${steps} applied`
    const endpoints = new Map<string, string>()
    for (const s of action.sources) {
      if (s.outside) endpoints.set(s.id, s.outside.ip)
      const pod = s.pod && m.model.pods.find((p) => p.namespace === s.pod?.namespace && matchesLabelSelectorText(s.pod.selector, p.labels))
      if (pod) endpoints.set(s.id, pod.key)
    }
    const notes = [
      `expected from ${action.manifestsDir}/ (${m.files.length} files, ${applied}), not read from a cluster`,
      ...m.notes.filter((n) => /stand-in/.test(n)),
    ]
    result = expectation(action, 'manifests', { model: m.model, policies: m.policies, policyNames: m.resources.map(resourceName), notes }, endpoints)
  } catch (error) {
    result = expectation(action, 'manifests', { problem: `the engine could not read ${action.manifestsDir}/: ${(error as Error).message}` }, new Map())
  }
  return [result.header, ...result.opinions].map(lineText).join('')
}

/** Every probe-matrix action's preview, by action id. */
export function offlinePreviews(actions: readonly { kind: string }[], repoRoot: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const a of actions) if (a.kind === 'probe-matrix') out.set((a as ProbeMatrixAction).id, offlineExpectation(a as ProbeMatrixAction, repoRoot))
  return out
}
