// The preflight's debug-image check (`npm run demo:check`): the matrix's debug containers added to the bookinfo pods
// ahead of the demo, each reported Running — so the busybox image is pulled on every node that runs a bookinfo pod
// before the first matrix needs it, and a pull that cannot succeed is found now, with its fix, not on stage as six
// rows of errors. A stuck container is never reused (debugContainer.ts): running the check again after the fix adds
// a fresh one.
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node'
import { LAB } from '../catalog/lab.ts'
import { reachMatrix } from '../catalog/matrices.ts'
import type { Lab, ProbeMatrixAction } from '../catalog/types.ts'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { listMatrixPods } from './clusterRead.ts'
import { ensureDebugContainer } from './debugContainer.ts'
import { sourcePods } from './model.ts'
import { IMAGE_PULL_REASONS } from './verdict.ts'

/** A preflight check's result (preflight.ts CheckResult's shape). */
export interface DebugImageCheck {
  id: 'debug-image'
  title: string
  ok: boolean
  status: 'pass' | 'fail' | 'skip'
  detail: string
  fix: string
}

/** How long the check waits for the debug containers to run (an image pull on a node that never had it). */
export const WARM_WAIT_MS = 25_000
/** Each read and patch of the check, beyond which the API server counts as not answering. */
const REQUEST_TIMEOUT_MS = 10_000

const TITLE = 'debug image pulled: a busybox debug container Running in every bookinfo pod'

/**
 * What "fix" means for an image the nodes cannot pull: the image name to check, how to put the image on the nodes
 * without the registry (kind: load it from the host's Docker; VMs: import it into containerd, or a registry mirror),
 * and how to see the kubelet's own reason by hand.
 */
export function imageFix(image: string, lab: Lab): string {
  const load = lab === 'kind'
    ? `docker pull ${image} && kind load docker-image ${image} --name calico-lab`
    : `docker pull ${image} && for n in node1 node2; do docker save ${image} | multipass exec $n -- sudo ctr -n k8s.io images import -; done (or a registry mirror for docker.io in each node's /etc/containerd/config.toml)`
  return [
    `check the image name: ${image} (DEBUG_IMAGE in demo-server/src/catalog/matrices.ts) must exist in its registry`,
    `if the nodes cannot reach the registry, put the image on them: ${load}`,
    `see the kubelet's reason by hand: kubectl debug -n ${LAB.namespace} <pod> --image=${image} -- true; kubectl describe pod -n ${LAB.namespace} <pod>`,
    'then npm run demo:check again (a stuck debug container is never reused: a fresh one is added)',
  ].join('; ')
}

/** The image names a node reports (status.images), to say whether a node without a bookinfo pod has it anyway. */
function nodeHas(node: V1Node, image: string): boolean {
  const short = image.replace(/^docker\.io\/(library\/)?/, '')
  return (node.status?.images ?? []).some((i) => (i.names ?? []).some((n) => n === image || n === short || n.replace(/^docker\.io\/(library\/)?/, '') === short))
}

/** Nodes the bookinfo pods may land on: schedulable, neither the control plane nor tainted against pods. */
function workers(nodes: readonly V1Node[]): V1Node[] {
  return nodes.filter((n) => !n.spec?.unschedulable
    && n.metadata?.labels?.['node-role.kubernetes.io/control-plane'] === undefined
    && !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'))
}

export async function debugImageCheck(
  kc: KubeConfig,
  options: { lab: Lab; reachable: boolean; signal?: AbortSignal; action?: ProbeMatrixAction; waitMs?: number; pollMs?: number },
): Promise<DebugImageCheck> {
  const action = options.action ?? reachMatrix
  const image = action.debugImage
  const skip = (why: string): DebugImageCheck => ({ id: 'debug-image', title: TITLE, ok: true, status: 'skip', detail: `skipped: ${why}`, fix: '' })
  const fail = (detail: string, fix: string): DebugImageCheck => ({ id: 'debug-image', title: TITLE, ok: false, status: 'fail', detail, fix })
  if (!options.reachable) return skip('API server unreachable')
  const signal = options.signal ?? new AbortController().signal
  const waitMs = options.waitMs ?? WARM_WAIT_MS
  let pods: V1Pod[]
  let nodes: V1Node[] = []
  try {
    const reads = AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
    pods = await listMatrixPods(kc, action, reads)
    nodes = (await abortable(kc, CoreV1Api, reads).listNode()).items
  } catch (error) {
    signal.throwIfAborted()
    return fail(`the pods could not be read: ${describeClusterError(error, REQUEST_TIMEOUT_MS).message}`, `kubectl get pods -n ${LAB.namespace}`)
  }
  // the wait, and the requests made during it, end together: never longer than the wait and one request
  const warming = AbortSignal.any([signal, AbortSignal.timeout(waitMs + REQUEST_TIMEOUT_MS)])
  const found = sourcePods(action, pods)
  const rows = action.sources.filter((s) => s.pod?.via === 'debug')
  const missing = rows.filter((s) => !found.has(s.id)).map((s) => `${s.label}: no Running pod (${s.pod?.selector})`)
  const results = await Promise.all(rows.flatMap((s) => {
    const pod = found.get(s.id)
    if (!pod) return []
    return [ensureDebugContainer(kc, pod, { image, waitMs, pollMs: options.pollMs ?? 1000, signal: warming }).then((ready) => ({ pod, ready }))]
  }))
  signal.throwIfAborted()
  const nodeOf = (pod: V1Pod) => pod.spec?.nodeName ?? '?'
  const running = results.filter((r) => r.ready.ok)
  const failed = results.flatMap((r) => (r.ready.ok ? [] : [`${r.pod.metadata?.name} on ${nodeOf(r.pod)}: ${r.ready.message}`]))
  const warmed = [...new Set(running.map((r) => nodeOf(r.pod)))].sort()
  const others = workers(nodes).map((n) => n.metadata?.name ?? '').filter((n) => n && !warmed.includes(n) && !failed.some((f) => f.includes(` on ${n}: `)))
  const elsewhere = others.map((n) => `${n} has no bookinfo pod (${nodeHas(nodes.find((x) => x.metadata?.name === n)!, image) ? 'it has the image already' : 'not warmed: a pod rescheduled there pulls it on its first probe'})`)
  const counted = `${running.length}/${rows.length} Running (${running.map((r) => `${r.pod.metadata?.name} on ${nodeOf(r.pod)}: ${r.ready.ok ? r.ready.container : ''}`).join(', ') || 'none'})`
  const detail = [counted, warmed.length ? `${image} pulled on ${warmed.join(', ')}` : '', ...elsewhere, ...missing, ...failed].filter(Boolean).join('; ')
  if (failed.length === 0 && missing.length === 0) return { id: 'debug-image', title: TITLE, ok: true, status: 'pass', detail, fix: '' }
  const pullFailed = failed.some((f) => IMAGE_PULL_REASONS.some((r) => f.includes(r)))
  if (pullFailed) return fail(detail, imageFix(image, options.lab))
  if (failed.length) return fail(detail, `kubectl describe pod -n ${LAB.namespace} <pod> (Events: why the debug container did not start); a slow first pull: run npm run demo:check again in a minute`)
  return fail(detail, `the bookinfo pods must run first: kubectl get pods -n ${LAB.namespace} -o wide`)
}
