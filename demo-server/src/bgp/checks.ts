// The preflight's BGP checks (`npm run demo:check`, and the checklist slide): per node, BIRD ready and every session
// Established as calico-node reports it (nodeStatus.ts); and host1's route to the LoadBalancer address leading to the
// node that runs productpage, and nowhere else (host1Route.ts). Each red item comes with its fix. The results have
// the preflight's CheckResult shape; preflight.ts adds them to its list.
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1Node } from '@kubernetes/client-node'
import { LAB } from '../catalog/lab.ts'
import { host1BgpRoutes } from '../catalog/routing.ts'
import type { Lab } from '../host/programs.ts'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { judgeHost1, labManifests, readEndpointNode, readHost1Routes } from './host1Route.ts'
import type { RunArgv } from './host1Route.ts'
import { judgeNodeBgp, NODE_STATUS, readNodeStatuses } from './nodeStatus.ts'

export interface BgpCheck {
  id: string
  title: string
  ok: boolean
  status: 'pass' | 'fail' | 'skip'
  detail: string
  fix: string
}

export interface BgpCheckOptions {
  lab: Lab
  /** the outside clients' runner; without it host1's route is skipped */
  runHost?: RunArgv
  signal?: AbortSignal
  /** per API request, ms */
  timeoutMs?: number
  /** how long to wait for calico-node to fill in a new CalicoNodeStatus, ms */
  statusWaitMs?: number
}

/** What the preflight has already read and the checks reuse. */
export interface SnapshotPart {
  version: { ok: boolean }
  nodes: { ok: true; value: V1Node[] } | { ok: false; error: string }
}

export const BGP_STATUS_WAIT_MS = 20_000

const pass = (id: string, title: string, detail: string): BgpCheck => ({ id, title, ok: true, status: 'pass', detail, fix: '' })
const fail = (id: string, title: string, detail: string, fix: string): BgpCheck => ({ id, title, ok: false, status: 'fail', detail, fix })
const skip = (id: string, title: string, detail: string): BgpCheck => ({ id, title, ok: true, status: 'skip', detail: `skipped: ${detail}`, fix: '' })

const ROUTE_TITLE = `host1's route to ${LAB.lbIp}: the node running productpage, alone`
const sessionsTitle = (node: string) => `BGP on ${node}: BIRD ready, mesh and host1 Established`

/** host1's side of a session that is not Established, per lab. */
const HOST1_SESSION_FIX: Record<Lab, string> = {
  kind: 'docker exec host1 birdc -s /run/bird.ctl show protocols (host1 must list every node address: npm run cluster:kind re-creates host1 with the current ones); TCP 179 open',
  vms: 'multipass exec host1 -- sudo birdc show protocols; TCP 179 open between the nodes and host1; AS 64512 ↔ 64513 as in manifests/20-calico-bgp.yaml and scripts/lib.sh',
}

async function sessionChecks(kc: KubeConfig, nodes: V1Node[], o: BgpCheckOptions, signal: AbortSignal): Promise<BgpCheck[]> {
  const timeoutMs = o.timeoutMs ?? 5_000
  const names = nodes.map((n) => n.metadata?.name ?? '').filter(Boolean)
  let read
  try {
    read = await readNodeStatuses(kc, names, { signal, timeoutMs, waitMs: o.statusWaitMs ?? BGP_STATUS_WAIT_MS })
  } catch (error) {
    signal.throwIfAborted()
    const e = describeClusterError(error, timeoutMs)
    return [fail('bgp', 'BGP sessions (CalicoNodeStatus)', `${NODE_STATUS.plural}.${NODE_STATUS.group}: ${e.message}`,
      e.kind === 'not-found'
        ? 'the projectcalico.org/v3 API is served by the Calico API server: kubectl get tigerastatus apiserver'
        : e.kind === 'forbidden' ? `demo:check needs to create and read ${NODE_STATUS.plural}.${NODE_STATUS.group}: use a cluster-admin kubeconfig` : 'kubectl get caliconodestatuses')]
  }
  const context = (calicoNodePods: Map<string, string>) => ({
    nodes,
    globalPeer: { name: 'host1', ip: LAB.host1Ip },
    waitedSeconds: Math.round(read.waitedMs / 1000),
    calicoNodePods,
    globalPeerFix: HOST1_SESSION_FIX[o.lab],
  })
  let verdicts = names.map((node) => judgeNodeBgp(node, read.byNode.get(node), context(new Map())))
  if (verdicts.some((v) => !v.ok)) {
    // the fixes name the calico-node pod of each node
    const pods = await abortable(kc, CoreV1Api, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]))
      .listNamespacedPod({ namespace: 'calico-system', labelSelector: 'k8s-app=calico-node' })
      .then((l) => new Map(l.items.map((p) => [p.spec?.nodeName ?? '', p.metadata?.name ?? ''])))
      .catch(() => new Map<string, string>())
    verdicts = names.map((node) => judgeNodeBgp(node, read.byNode.get(node), context(pods)))
  }
  return verdicts.map((v) => {
    const bad = v.items.filter((i) => !i.ok)
    const created = read.applied.includes(v.node) ? ' (its CalicoNodeStatus was created now)' : ''
    return bad.length === 0
      ? pass(`bgp-${v.node}`, sessionsTitle(v.node), `${v.items.map((i) => i.text).join(', ')}${created}`)
      : fail(`bgp-${v.node}`, sessionsTitle(v.node), bad.map((i) => i.text).join('; '), [...new Set(bad.map((i) => i.fix))].join(' | '))
  })
}

async function routeCheck(kc: KubeConfig, nodes: V1Node[], o: BgpCheckOptions, signal: AbortSignal): Promise<BgpCheck> {
  if (!o.runHost) return skip('host1-route', ROUTE_TITLE, 'run from the presenter’s machine: npm run demo:check')
  const timeoutMs = o.timeoutMs ?? 5_000
  let found
  try {
    found = await readEndpointNode(kc, host1BgpRoutes.endpoint, nodes, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]))
  } catch (error) {
    signal.throwIfAborted()
    return fail('host1-route', ROUTE_TITLE, describeClusterError(error, timeoutMs).message, `kubectl get pods -n ${host1BgpRoutes.endpoint.namespace} -l ${host1BgpRoutes.endpoint.selector} -o wide`)
  }
  if (!found.ok) return fail('host1-route', ROUTE_TITLE, found.problem.text, found.problem.fix)
  const host = await readHost1Routes(o.runHost, host1BgpRoutes.argv[o.lab], o.lab)
  if (!host.ok) return fail('host1-route', ROUTE_TITLE, host.problem.text, host.problem.fix)
  const judged = judgeHost1(host.routes, found.endpoint, nodes, labManifests(), o.lab)
  const where = `productpage on ${found.endpoint.node} (${found.endpoint.ip})`
  return judged.ok
    ? pass('host1-route', ROUTE_TITLE, `${LAB.lbIp}/32 via ${found.endpoint.ip} alone, ${where}; no aggregate, no pod block`)
    : fail('host1-route', ROUTE_TITLE, `${judged.problems.map((p) => p.text).join('; ')} (${where})`, judged.problems.map((p) => p.fix).join(' | '))
}

/** The BGP checks, in checklist order. Throws only when `signal` aborts. */
export async function bgpChecks(kc: KubeConfig, snapshot: SnapshotPart, o: BgpCheckOptions): Promise<BgpCheck[]> {
  const signal = o.signal ?? new AbortController().signal
  if (!snapshot.version.ok) return [skip('bgp', 'BGP sessions (CalicoNodeStatus)', 'API server unreachable'), skip('host1-route', ROUTE_TITLE, 'API server unreachable')]
  if (!snapshot.nodes.ok) return [skip('bgp', 'BGP sessions (CalicoNodeStatus)', 'the nodes could not be read'), skip('host1-route', ROUTE_TITLE, 'the nodes could not be read')]
  const nodes = snapshot.nodes.value
  const [sessions, route] = await Promise.all([sessionChecks(kc, nodes, o, signal), routeCheck(kc, nodes, o, signal)])
  return [...sessions, route]
}
