// An ephemeral debug container in a bookinfo pod, to probe *from* that pod.
//
// Why: the bookinfo images do not reliably ship a client (productpage is Python, details Ruby, reviews Java on
// OpenLiberty; only ratings has curl), and the probe must leave from the pod itself. An ephemeral container (what
// `kubectl debug -it POD --image=busybox` adds) joins the pod's network namespace: same interface, same IP, same
// Calico workload endpoint — so every packet it sends is policed exactly as the application's own, by the same
// policies. It does not restart the pod or change its labels. It stays until the pod is deleted (Kubernetes cannot
// remove an ephemeral container), so it is added once per pod and reused by every later run.
//
// One that cannot serve is never reused, and the next one gets a new name (reach-probe-2, …): one that ended, one
// with another image (the catalog's image changed), one whose image the kubelet could not pull (ErrImagePull,
// ImagePullBackOff, InvalidImageName…: it would wait forever, and a new container makes the kubelet try the pull
// again). A pull failure while waiting ends the wait at once, with the kubelet's reason.
//
// Added through the pods/ephemeralcontainers subresource (CoreV1Api.patchNamespacedPodEphemeralcontainers), which
// client-node v2 sends as a JSON patch (application/json-patch+json, its first listed media type).
import { setTimeout as sleep } from 'node:timers/promises'
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { IMAGE_PULL_REASONS } from './verdict.ts'

export const DEBUG_CONTAINER = 'reach-probe'

export type DebugReady = { ok: true; container: string; added: boolean } | { ok: false; message: string }

/**
 * What the debug container's PID 1 runs: a busybox shell that waits, forever, on a sleep in the background. Not
 * `sleep` itself: as PID 1 it never reaps, so any process orphaned in the container (an exec'd command's child) would
 * stay a zombie, and it ignores SIGTERM (PID 1 gets no default handler), so deleting the pod — a rollout restart —
 * would wait out the whole grace period. The shell's `wait` reaps every child it inherits, and the trap ends it at
 * once on SIGTERM. (test/netns/debugInit.test.ts runs it as PID 1 of a PID namespace.)
 */
export const DEBUG_INIT = ['sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done']

/** The debug container spec: busybox (nc, nslookup), unprivileged, waiting until probes exec into it. */
export function debugContainerSpec(name: string, image: string): V1EphemeralContainer {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: DEBUG_INIT,
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

/** "ErrImagePull: <the kubelet's message>" when the container waits on an image it could not get, else undefined. */
export function imagePullProblem(status: V1ContainerStatus | undefined): string | undefined {
  const waiting = status?.state?.waiting
  if (!waiting?.reason || !IMAGE_PULL_REASONS.includes(waiting.reason)) return undefined
  return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`
}

/** Why one of our containers cannot serve `image`'s probes (never reused), or undefined when it can. */
function unusable(pod: V1Pod, name: string, specImage: string | undefined, image: string): string | undefined {
  if (specImage !== image) return `its image is ${specImage ?? 'unset'}, not ${image}`
  const s = statusOf(pod, name)
  if (s?.state?.terminated) return `it ended (${s.state.terminated.reason ?? 'terminated'})`
  return imagePullProblem(s)
}

/** The debug container to use now: a running one, one still starting, or none; and why the others were passed over. */
function usable(pod: V1Pod, image: string): { found?: { name: string; running: boolean }; passedOver: string[] } {
  const passedOver: string[] = []
  for (const c of pod.spec?.ephemeralContainers ?? []) {
    if (!ours(c.name)) continue
    const why = unusable(pod, c.name, c.image, image)
    if (why) passedOver.push(`${c.name}: ${why}`)
    else return { found: { name: c.name, running: !!statusOf(pod, c.name)?.state?.running }, passedOver }
  }
  return { passedOver }
}

function nextName(pod: V1Pod): string {
  const taken = new Set([...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name))
  if (!taken.has(DEBUG_CONTAINER)) return DEBUG_CONTAINER
  for (let i = 2; ; i++) if (!taken.has(`${DEBUG_CONTAINER}-${i}`)) return `${DEBUG_CONTAINER}-${i}`
}

/**
 * Makes sure `pod` has a running debug container with `image`; waits up to `waitMs` for it to start, and not a moment
 * longer once the kubelet says it cannot pull the image. Every request and the poll's sleep end with `signal`.
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
    const first = usable(current, options.image)
    const { passedOver } = first
    let { found } = first
    if (!found) {
      const container = nextName(current)
      const value = debugContainerSpec(container, options.image)
      const ops = current.spec?.ephemeralContainers?.length
        ? [{ op: 'add', path: '/spec/ephemeralContainers/-', value }]
        : [{ op: 'add', path: '/spec/ephemeralContainers', value: [value] }]
      const instead = passedOver.length ? ` (not reusing ${passedOver.join('; ')})` : ''
      options.info?.(`pod/${name}: adding ephemeral container ${container} (${options.image}), it shares the pod's network namespace${instead}\n`)
      try {
        current = await core.patchNamespacedPodEphemeralcontainers({ name, namespace, body: ops })
        added = true
      } catch (error) {
        // someone else added one meanwhile (another run, another window's matrix): use theirs
        if (describeClusterError(error).kind !== 'api-error') throw error
        current = await core.readNamespacedPod({ name, namespace })
        if (!usable(current, options.image).found) throw error
      }
      found = usable(current, options.image).found ?? { name: container, running: false }
    }
    const deadline = Date.now() + options.waitMs
    while (!found.running) {
      if (options.signal.aborted) return { ok: false, message: 'cancelled' }
      const status = statusOf(current, found.name)
      const pull = imagePullProblem(status)
      if (pull) return { ok: false, message: `debug container ${found.name} in ${name} cannot start, image not pulled — ${pull}` }
      if (status?.state?.terminated) return { ok: false, message: `debug container ${found.name} in ${name} ended: ${status.state.terminated.reason ?? 'terminated'}` }
      if (Date.now() > deadline) {
        const waiting = status?.state?.waiting
        const why = waiting ? `${waiting.reason ?? 'waiting'}${waiting.message ? `: ${waiting.message}` : ''}` : 'not started'
        return { ok: false, message: `debug container ${found.name} in ${name} is not running after ${options.waitMs / 1000} s (${why})` }
      }
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal })
      current = await core.readNamespacedPod({ name, namespace })
      found = { name: found.name, running: !!statusOf(current, found.name)?.state?.running }
    }
    return { ok: true, container: found.name, added }
  } catch (error) {
    if (options.signal.aborted) return { ok: false, message: 'cancelled' }
    return { ok: false, message: `could not add the debug container to ${namespace}/${name}: ${describeClusterError(error).message}` }
  }
}
