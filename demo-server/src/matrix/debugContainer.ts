// An ephemeral debug container in a bookinfo pod, to probe *from* that pod.
//
// Why: the bookinfo images do not reliably ship a client (productpage is Python, details Ruby, reviews Java on
// OpenLiberty; only ratings has curl), and the probe must leave from the pod itself. An ephemeral container (what
// `kubectl debug -it POD --image=busybox` adds) joins the pod's network namespace: same interface, same IP, same
// Calico workload endpoint — so every packet it sends is policed exactly as the application's own, by the same
// policies. It does not restart the pod or change its labels. It stays until the pod is deleted (Kubernetes cannot
// remove an ephemeral container), so it is added once per pod and reused by every later run; it sleeps a day, then
// a fresh one (reach-probe-2, …) is added.
//
// Added through the pods/ephemeralcontainers subresource (CoreV1Api.patchNamespacedPodEphemeralcontainers), which
// client-node v2 sends as a JSON patch (application/json-patch+json, its first listed media type).
import { setTimeout as sleep } from 'node:timers/promises'
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'

export const DEBUG_CONTAINER = 'reach-probe'

export type DebugReady = { ok: true; container: string; added: boolean } | { ok: false; message: string }

/** The debug container spec: busybox (wget, nslookup, timeout), unprivileged, sleeping until reused. */
export function debugContainerSpec(name: string, image: string): V1EphemeralContainer {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sleep', '86400'],
    // no targetContainerName: that would share a container's process namespace, which a network probe doesn't need
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      runAsUser: 65534,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'File',
  }
}

const ours = (name: string | undefined): boolean => !!name && (name === DEBUG_CONTAINER || name.startsWith(`${DEBUG_CONTAINER}-`))

function statusOf(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name)
}

/** The debug container to use now: a running one, one still starting, or none (all ended or never added). */
function usable(pod: V1Pod): { name: string; running: boolean } | undefined {
  for (const c of pod.spec?.ephemeralContainers ?? []) {
    if (!ours(c.name)) continue
    const s = statusOf(pod, c.name)
    if (s?.state?.running) return { name: c.name, running: true }
    if (!s?.state?.terminated) return { name: c.name, running: false }
  }
  return undefined
}

function nextName(pod: V1Pod): string {
  const taken = new Set((pod.spec?.ephemeralContainers ?? []).map((c) => c.name))
  if (!taken.has(DEBUG_CONTAINER)) return DEBUG_CONTAINER
  for (let i = 2; ; i++) if (!taken.has(`${DEBUG_CONTAINER}-${i}`)) return `${DEBUG_CONTAINER}-${i}`
}

/**
 * Makes sure `pod` has a running debug container; waits up to `waitMs` for the image to start. Every request and the
 * poll's sleep end with `signal`.
 */
export async function ensureDebugContainer(
  kc: KubeConfig,
  pod: V1Pod,
  options: { image: string; waitMs: number; signal: AbortSignal; pollMs?: number; info?: (line: string) => void },
): Promise<DebugReady> {
  const namespace = pod.metadata?.namespace ?? ''
  const name = pod.metadata?.name ?? ''
  const core = abortable(kc, CoreV1Api, options.signal)
  let current = pod
  let added = false
  try {
    let found = usable(current)
    if (!found) {
      const container = nextName(current)
      const value = debugContainerSpec(container, options.image)
      const ops = current.spec?.ephemeralContainers?.length
        ? [{ op: 'add', path: '/spec/ephemeralContainers/-', value }]
        : [{ op: 'add', path: '/spec/ephemeralContainers', value: [value] }]
      options.info?.(`pod/${name}: adding ephemeral container ${container} (${options.image}), it shares the pod's network namespace\n`)
      try {
        current = await core.patchNamespacedPodEphemeralcontainers({ name, namespace, body: ops })
        added = true
      } catch (error) {
        // someone else added one meanwhile (another run, another window's matrix): use theirs
        if (describeClusterError(error).kind !== 'api-error') throw error
        current = await core.readNamespacedPod({ name, namespace })
        if (!usable(current)) throw error
      }
      found = usable(current) ?? { name: container, running: false }
    }
    const deadline = Date.now() + options.waitMs
    while (!found.running) {
      if (options.signal.aborted) return { ok: false, message: 'cancelled' }
      if (Date.now() > deadline) {
        const waiting = statusOf(current, found.name)?.state?.waiting
        const why = waiting ? `${waiting.reason ?? 'waiting'}${waiting.message ? `: ${waiting.message}` : ''}` : 'not started'
        return { ok: false, message: `debug container ${found.name} in ${name} is not running after ${options.waitMs / 1000} s (${why})` }
      }
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal })
      current = await core.readNamespacedPod({ name, namespace })
      const s = statusOf(current, found.name)
      if (s?.state?.terminated) return { ok: false, message: `debug container ${found.name} in ${name} ended: ${s.state.terminated.reason ?? 'terminated'}` }
      found = { name: found.name, running: !!s?.state?.running }
    }
    return { ok: true, container: found.name, added }
  } catch (error) {
    if (options.signal.aborted) return { ok: false, message: 'cancelled' }
    return { ok: false, message: `could not add the debug container to ${namespace}/${name}: ${describeClusterError(error).message}` }
  }
}
