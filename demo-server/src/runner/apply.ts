// `kubectl apply --server-side` and `kubectl delete --ignore-not-found` of the catalog's manifest files, through
// client-node's generic KubernetesObjectApi. Nothing outside the action's namespaces is touched: every object is
// checked before the first one is sent, so a refused file leaves the cluster unchanged.
import { PatchStrategy } from '@kubernetes/client-node'
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import { abortableObjectApi } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { kubectlName, readManifests, scopeViolation } from '../manifests.ts'
import type { ManifestObject } from '../manifests.ts'
import type { Outcome, Sink } from './outcome.ts'

export const FIELD_MANAGER = 'calico-live-talk'

/**
 * Applies or deletes a step's manifests (relative to `repoRoot`), one object after the other, deletes last object
 * first: an apply/delete action, and demo:reset's removal of the policy steps.
 */
export async function applyOrDelete(
  kc: KubeConfig,
  step: { kind: 'apply' | 'delete'; manifests: readonly string[]; namespaces: readonly string[] },
  repoRoot: string,
  sink: Sink,
  signal: AbortSignal,
): Promise<Outcome> {
  let objects: ManifestObject[]
  try {
    objects = readManifests(repoRoot, step.manifests)
  } catch (error) {
    return { status: 'failed', error: { kind: 'invalid', message: (error as Error).message } }
  }
  const violations = objects.map((o) => scopeViolation(o, step.namespaces)).filter((v): v is string => v !== null)
  if (violations.length > 0) return { status: 'failed', error: { kind: 'invalid', message: violations.join('; ') } }

  const client = abortableObjectApi(kc, signal)
  const ordered = step.kind === 'delete' ? [...objects].reverse() : objects
  for (const object of ordered) {
    signal.throwIfAborted()
    try {
      if (step.kind === 'apply') {
        await client.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)
        sink.stdout(`${kubectlName(object)} serverside-applied\n`)
      } else {
        await client.delete(object as KubernetesObject)
        sink.stdout(`${kubectlName(object)} deleted\n`)
      }
    } catch (error) {
      signal.throwIfAborted()
      const failure = describeClusterError(error)
      if (step.kind === 'delete' && failure.kind === 'not-found') {
        sink.info(`${kubectlName(object)} not there\n`) // --ignore-not-found
        continue
      }
      sink.stderr(`Error from server: ${kubectlName(object)}: ${failure.message}\n`)
      return { status: 'failed', error: failure }
    }
  }
  return { status: 'succeeded', exitCode: 0 }
}
