// Which pod a step runs in. One rule everywhere (exec steps, matrix rows): a Running pod, not being deleted, oldest
// first (then by name), so repeated runs pick the same pod.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1LabelSelector, V1Pod } from '@kubernetes/client-node'
import { labelSelectorQuery, matchesLabelSelectorText } from '../policy/labelSelector.ts'
import type { LabelSelector } from '../policy/labelSelector.ts'
import { abortable } from './clients.ts'

export function pickPod(pods: readonly V1Pod[], namespace: string, selector: string): V1Pod | undefined {
  const created = (p: V1Pod): number => {
    const c = p.metadata?.creationTimestamp as Date | string | undefined
    return c instanceof Date ? c.getTime() : Date.parse(String(c ?? '')) || 0
  }
  return pods
    .filter((p) => p.metadata?.namespace === namespace && p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
    .filter((p) => matchesLabelSelectorText(selector, p.metadata?.labels ?? {}))
    .sort((a, b) => created(a) - created(b) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)))[0]
}

/** Where an exec step runs, named the way `kubectl exec` names it: a Deployment, a DaemonSet, or a pod. */
export type ExecWorkload = { deployment: string } | { daemonSet: string } | { pod: string }

/** `deploy/ratings-v1`, `ds/calico-node`, `alpine`: the target as kubectl takes it. */
export function workloadArg(workload: ExecWorkload): string {
  if ('deployment' in workload) return `deploy/${workload.deployment}`
  if ('daemonSet' in workload) return `ds/${workload.daemonSet}`
  return workload.pod
}

export type FoundPod = { ok: true; pod: V1Pod; name: string } | { ok: false; message: string }

/**
 * The pod `kubectl exec <workload>` would use: for a Deployment or DaemonSet, a Running pod its selector matches
 * (read from the API, as kubectl does); for a pod, that pod, if it is Running.
 */
export async function findExecPod(kc: KubeConfig, namespace: string, workload: ExecWorkload, signal: AbortSignal): Promise<FoundPod> {
  const core = abortable(kc, CoreV1Api, signal)
  if ('pod' in workload) {
    const pod = await core.readNamespacedPod({ namespace, name: workload.pod })
    if (pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) {
      return { ok: false, message: `pod ${namespace}/${workload.pod} is ${pod.metadata?.deletionTimestamp ? 'terminating' : (pod.status?.phase ?? 'not running')}` }
    }
    return { ok: true, pod, name: workload.pod }
  }
  const apps = abortable(kc, AppsV1Api, signal)
  const owner = 'deployment' in workload
    ? await apps.readNamespacedDeployment({ namespace, name: workload.deployment })
    : await apps.readNamespacedDaemonSet({ namespace, name: workload.daemonSet })
  const selector = labelSelectorQuery((owner.spec?.selector ?? {}) as V1LabelSelector as LabelSelector)
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector })
  const pod = pickPod(pods.items.map((p) => ({ ...p, metadata: { ...p.metadata, namespace } })), namespace, selector)
  if (!pod?.metadata?.name) return { ok: false, message: `no Running pod of ${workloadArg(workload)} (${selector}) in namespace ${namespace}` }
  return { ok: true, pod, name: pod.metadata.name }
}
