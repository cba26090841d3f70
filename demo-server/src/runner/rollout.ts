// `kubectl rollout restart deployment/X && kubectl get events --watch-only`: restart a Deployment and stream the
// namespace's events (Scheduled, Pulling/Pulled, Created, Started, Killing…) as the API server reports them,
// through client-node's Watch, until the rollout is complete.
import { setTimeout as sleep } from 'node:timers/promises'
import { AppsV1Api, CoreV1Api, PatchStrategy } from '@kubernetes/client-node'
import type { CoreV1Event, KubeConfig, V1Deployment } from '@kubernetes/client-node'
import type { RolloutAction } from '../catalog/types.ts'
import { abortable, abortableObjectApi, abortableWatch } from '../kube/clients.ts'
import { FIELD_MANAGER } from './apply.ts'
import type { Outcome, Sink } from './outcome.ts'

const HEADER = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']

/** Rollout complete as `kubectl rollout status` judges it. */
export function rolloutComplete(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1
  const s = d.status
  return (
    (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s?.updatedReplicas ?? 0) >= want &&
    (s?.replicas ?? 0) <= want &&
    (s?.availableReplicas ?? 0) >= want
  )
}

function eventLine(e: CoreV1Event, widths: number[]): string {
  const obj = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`
  const row = ['0s', e.type ?? '', e.reason ?? '', obj, (e.message ?? '').replace(/\s+/g, ' ')]
  return row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('') + '\n'
}

/** Every request, the watch and every poll's sleep end with `signal`. */
export async function runRollout(kc: KubeConfig, action: RolloutAction, sink: Sink, signal: AbortSignal, pollMs = 500): Promise<Outcome> {
  const { namespace, deployment } = action
  const apps = abortable(kc, AppsV1Api, signal)
  // events from now on only: start the watch at the list's resourceVersion
  const events = await abortable(kc, CoreV1Api, signal).listNamespacedEvent({ namespace, limit: 1 })
  const widths = [10, 9, 19, Math.max(24, deployment.length + 32)]
  sink.stdout(HEADER.map((h, i) => (i === HEADER.length - 1 ? h : h.padEnd(widths[i] ?? 0))).join('') + '\n')
  const stop = new AbortController()
  const watching = AbortSignal.any([signal, stop.signal])
  let watchError: unknown
  const watch = await abortableWatch(kc, watching, `/api/v1/namespaces/${namespace}/events`, { resourceVersion: events.metadata?.resourceVersion }, (phase, event) => {
    if (phase === 'ADDED' || phase === 'MODIFIED') sink.stdout(eventLine(event as CoreV1Event, widths))
  })
  void watch.ended.then((error) => {
    if (error && !watching.aborted) watchError = error
  })
  try {
    await abortableObjectApi(kc, signal).patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: deployment, namespace }, spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } },
      undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.StrategicMergePatch,
    )
    sink.info(`deployment.apps/${deployment} restarted\n`)
    // the controller needs a moment to see the new generation: wait for it, then for completion
    for (;;) {
      if (watchError) throw watchError
      await sleep(pollMs, undefined, { signal })
      const d = await apps.readNamespacedDeployment({ name: deployment, namespace })
      if (rolloutComplete(d)) break
    }
    sink.info(`deployment "${deployment}" successfully rolled out\n`)
    await sleep(Math.min(2000, pollMs * 4), undefined, { signal }) // the old pod's Killing event follows
    return { status: 'succeeded', exitCode: 0 }
  } finally {
    stop.abort()
  }
}
