// The open baseline: no policy step applied — neither dev1's policies nor the platform's (staged or enforced)
// GlobalNetworkPolicies for dev1. `npm run demo:reset` and the rehearsal (before it starts and when it ends, Ctrl-C
// included) restore it the same way: each policy step's own delete action, last step first, run as the demo server
// runs it (runner/apply.ts); a policy that is not there is fine. Nothing else is touched: the platform's tiers and
// dev1's RBAC (manifests/42, 43) belong to the lab, and with no policy in them they change no verdict.
import type { KubeConfig } from '@kubernetes/client-node'
import { policyStepActions } from '../../demo-server/src/catalog/policySteps.ts'
import type { Action, DeleteAction } from '../../demo-server/src/catalog/types.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { applyOrDelete } from '../../demo-server/src/runner/apply.ts'
import type { FailureKind } from '../../demo-server/src/protocol.ts'

/** The policy steps' delete actions, last step first. */
export const baselineSteps = (): DeleteAction[] => policyStepActions.filter((a): a is DeleteAction => a.kind === 'delete').reverse()

/** Apply actions whose files no baseline step removes: what a rehearsal could apply but not take back. */
export function unrestorable(actions: readonly Action[]): string[] {
  const removed = new Set(baselineSteps().flatMap((s) => s.manifests))
  return actions.filter((a) => a.kind === 'apply' && a.manifests.some((file) => !removed.has(file))).map((a) => a.id)
}

export interface BaselineStepResult {
  step: DeleteAction
  /** what was deleted, as kubectl names it */
  deleted: string[]
  /** already absent */
  absent: string[]
  error?: { kind: FailureKind | 'cancelled'; message: string }
}

export interface BaselineResult {
  ok: boolean
  steps: BaselineStepResult[]
  /** every object deleted, in order */
  deleted: string[]
}

export interface RestoreOptions {
  signal: AbortSignal
  /** called as each step starts */
  onStep?: (step: DeleteAction) => void
  /** each line a step prints: deleted (stdout), not there (info), an error (stderr) */
  say?: (step: DeleteAction, stream: 'stdout' | 'info' | 'stderr', line: string) => void
  repoRoot?: string
}

/** Removes every policy step, last first. Never throws: a step that fails is reported and the next one still runs. */
export async function restoreBaseline(kc: KubeConfig, options: RestoreOptions): Promise<BaselineResult> {
  const steps: BaselineStepResult[] = []
  for (const step of baselineSteps()) {
    const result: BaselineStepResult = { step, deleted: [], absent: [] }
    steps.push(result)
    const tell = (stream: 'stdout' | 'info' | 'stderr') => (line: string) => options.say?.(step, stream, line)
    if (options.signal.aborted) {
      result.error = { kind: 'cancelled', message: 'not removed: stopped before this step' }
      continue
    }
    options.onStep?.(step)
    const outcome = await applyOrDelete(kc, step, options.repoRoot ?? REPO_ROOT, {
      stdout: (line) => {
        result.deleted.push(line.replace(/ deleted\n?$/, ''))
        tell('stdout')(line)
      },
      info: (line) => {
        result.absent.push(line.replace(/ not there\n?$/, ''))
        tell('info')(line)
      },
      stderr: tell('stderr'),
    }, options.signal).catch((error: unknown) => ({ status: 'failed' as const, error: { kind: (options.signal.aborted ? 'cancelled' : 'api-error') as FailureKind | 'cancelled', message: (error as Error).message } }))
    if (outcome.status !== 'succeeded') result.error = outcome.error ?? { kind: 'cancelled', message: 'cancelled' }
  }
  return { ok: steps.every((s) => !s.error), steps, deleted: steps.flatMap((s) => s.deleted) }
}
