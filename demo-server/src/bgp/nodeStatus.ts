// BGP sessions as calico-node reports them: Calico's CalicoNodeStatus resource (projectcalico.org/v3, cluster-scoped;
// api/pkg/apis/projectcalico/v3/nodestatus.go at v3.31.7). calico-node's status reporter (node/pkg/status/: the
// `calico-node -status-reporter` service) fills one only once it exists for its node: it watches the objects whose
// spec.node names it, queries BIRD every updatePeriodSeconds and writes status with an ordinary update — only when
// something changed, so status.lastUpdated is the time of the last change, not of the last look.
//
// demo:check creates one object per node (server-side apply), named after the node: node names differ between the
// kind rehearsal and the VMs, while manifests/ is applied unchanged to both. They stay for the BGP slide's table.
// Calico's docs (reference/resources/caliconodestatus) measured about 5 % of a vCPU per node at a 10 s period on a
// 10-node mesh and ask to delete them after debugging: `kubectl delete caliconodestatuses -l calico-lab/created-by=demo-check`.
import { setTimeout as sleep } from 'node:timers/promises'
import { CustomObjectsApi, PatchStrategy } from '@kubernetes/client-node'
import type { KubeConfig, KubernetesObject, V1Node } from '@kubernetes/client-node'
import { abortable, abortableObjectApi } from '../kube/clients.ts'

export const NODE_STATUS = { group: 'projectcalico.org', version: 'v3', plural: 'caliconodestatuses', kind: 'CalicoNodeStatus' } as const
/** Who created the objects (server-side apply field manager, and a label to find them by). */
export const NODE_STATUS_MANAGER = 'demo-check'
export const NODE_STATUS_LABEL = 'calico-lab/created-by'
/** Classes the checks read (Routes is not needed: host1's own table is read instead). */
const CLASSES = ['Agent', 'BGP'] as const
/** How often calico-node refreshes the status (1…86400 s; 0 would stop it). */
const UPDATE_PERIOD_SECONDS = 10

export type BgpSessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Close'

/** The fields of CalicoNodeStatus the checks read (nodestatus.go; JSON names). */
export interface CalicoNodeStatus {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string; labels?: Record<string, string> }
  spec?: { node?: string; classes?: string[]; updatePeriodSeconds?: number }
  status?: {
    /** RFC 3339; null (or absent) until calico-node has written a status */
    lastUpdated?: string | null
    agent?: { birdV4?: { state?: 'Ready' | 'NotReady'; version?: string; routerID?: string } }
    bgp?: {
      numberEstablishedV4?: number
      numberNotEstablishedV4?: number
      peersV4?: { peerIP?: string; type?: 'NodeMesh' | 'NodePeer' | 'GlobalPeer'; state?: BgpSessionState; since?: string }[]
    }
  }
}

/** The object demo:check applies for `node`. */
export function nodeStatusFor(node: string): CalicoNodeStatus {
  return {
    apiVersion: `${NODE_STATUS.group}/${NODE_STATUS.version}`,
    kind: NODE_STATUS.kind,
    metadata: { name: node, labels: { [NODE_STATUS_LABEL]: NODE_STATUS_MANAGER } },
    spec: { node, classes: [...CLASSES], updatePeriodSeconds: UPDATE_PERIOD_SECONDS },
  }
}

/** An object that makes calico-node on `node` report what the checks read. */
function serves(o: CalicoNodeStatus, node: string): boolean {
  return o.spec?.node === node && CLASSES.every((c) => o.spec?.classes?.includes(c)) && (o.spec?.updatePeriodSeconds ?? 0) > 0
}

export const reported = (o: CalicoNodeStatus | undefined): boolean => Boolean(o?.status?.lastUpdated)

export interface ReadOptions {
  signal: AbortSignal
  /** per API request, ms */
  timeoutMs: number
  /** how long to wait for calico-node to fill in the status of objects that have none yet, ms */
  waitMs: number
  pollMs?: number
}

export interface NodeStatusRead {
  /** per node name: the object whose status the checks read (the reported one when several serve the node) */
  byNode: Map<string, CalicoNodeStatus>
  /** objects this call created or completed */
  applied: string[]
  /** how long it waited for a first report, ms */
  waitedMs: number
}

/**
 * Makes sure each node has a CalicoNodeStatus (server-side apply of the missing ones), then waits until calico-node
 * has reported on every node or `waitMs` has passed. Throws the API's error (a run's cancel ends it at once).
 */
export async function readNodeStatuses(kc: KubeConfig, nodes: readonly string[], o: ReadOptions): Promise<NodeStatusRead> {
  const bounded = () => AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)])
  const list = async () =>
    ((await abortable(kc, CustomObjectsApi, bounded()).listClusterCustomObject({ group: NODE_STATUS.group, version: NODE_STATUS.version, plural: NODE_STATUS.plural })) as {
      items?: CalicoNodeStatus[]
    }).items ?? []
  const pick = (items: CalicoNodeStatus[]) =>
    new Map(nodes.flatMap((node) => {
      const serving = items.filter((x) => serves(x, node))
      const best = serving.find(reported) ?? serving[0]
      return best ? [[node, best] as const] : []
    }))

  let byNode = pick(await list())
  const applied: string[] = []
  for (const node of nodes.filter((n) => !byNode.has(n))) {
    await abortableObjectApi(kc, bounded()).patch(nodeStatusFor(node) as KubernetesObject, undefined, undefined, NODE_STATUS_MANAGER, true, PatchStrategy.ServerSideApply)
    applied.push(node)
  }
  const started = performance.now()
  while (nodes.some((n) => !reported(byNode.get(n)))) {
    const left = o.waitMs - (performance.now() - started)
    if (left <= 0) break
    await sleep(Math.min(o.pollMs ?? 1000, left), undefined, { signal: o.signal })
    byNode = pick(await list())
  }
  return { byNode, applied, waitedMs: Math.round(performance.now() - started) }
}

// ---- judging ---------------------------------------------------------------------------------------------------

export interface NodeBgpItem {
  ok: boolean
  text: string
  /** what to do when not ok */
  fix: string
}

export interface NodeBgpVerdict {
  node: string
  ok: boolean
  items: NodeBgpItem[]
}

export interface NodeBgpContext {
  /** the cluster's nodes (their InternalIPs name the mesh peers) */
  nodes: readonly V1Node[]
  /** the global peer every node must have Established (host1) */
  globalPeer: { name: string; ip: string }
  /** how long the read waited for a report, s (for the "has not reported" message) */
  waitedSeconds: number
  /** the calico-node pod on each node, when known (the fixes name it) */
  calicoNodePods: Map<string, string>
  /** the fix for a session to the global peer that is not Established (the peer's side is lab-specific) */
  globalPeerFix: string
}

export function internalIp(node: V1Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address
}

const BIRDCL = ['birdcl', '-s', '/var/run/calico/bird.ctl']
/** BIRD's protocol name for a session (bird.cfg.template: Mesh_<ip>, Global_<ip>, dots as "_"). */
const protocolName = (prefix: 'Mesh' | 'Global', ip: string) => `${prefix}_${ip.replaceAll('.', '_')}`

/** BIRD ready, a mesh session to every other node and the global peer, all Established: one verdict per node. */
export function judgeNodeBgp(node: string, status: CalicoNodeStatus | undefined, c: NodeBgpContext): NodeBgpVerdict {
  const pod = c.calicoNodePods.get(node)
  const onNode = (...argv: string[]) => (pod ? `kubectl exec -n calico-system ${pod} -c calico-node -- ${argv.join(' ')}` : `kubectl get pods -n calico-system -o wide (no calico-node pod found on ${node})`)
  const logs = pod ? `kubectl logs -n calico-system ${pod} -c calico-node` : `kubectl get pods -n calico-system -o wide (no calico-node pod found on ${node})`
  const items: NodeBgpItem[] = []
  const verdict = () => ({ node, ok: items.every((i) => i.ok), items })

  if (!status) {
    items.push({ ok: false, text: `no CalicoNodeStatus for ${node}`, fix: `npm run demo:check creates it (it needs permission to create caliconodestatuses.projectcalico.org); kubectl get caliconodestatuses` })
    return verdict()
  }
  const name = status.metadata?.name ?? node
  if (!reported(status)) {
    items.push({
      ok: false,
      text: `calico-node on ${node} has not reported within ${c.waitedSeconds} s (CalicoNodeStatus ${name} has no status)`,
      fix: `is calico-node Running on ${node}? kubectl get pods -n calico-system -o wide; its status reporter logs: ${logs} | grep status-reporter`,
    })
    return verdict()
  }
  const s = status.status!
  const bird = s.agent?.birdV4?.state
  items.push(bird === 'Ready'
    ? { ok: true, text: `BIRD Ready${s.agent?.birdV4?.version ? ` (${s.agent.birdV4.version})` : ''}`, fix: '' }
    : {
        ok: false,
        text: `BIRD ${bird ?? 'state unknown'} on ${node}`,
        fix: `${onNode(...BIRDCL, 'show', 'status')}; ${logs} | grep -i bird; BGP must be Enabled in manifests/10-calico-installation.yaml`,
      })

  const peers = s.bgp?.peersV4 ?? []
  const nameOf = new Map(c.nodes.flatMap((n) => {
    const ip = internalIp(n)
    return ip ? [[ip, n.metadata?.name ?? ip] as const] : []
  }))
  const since = (p: (typeof peers)[number]) => (p.since ? ` since ${p.since}` : '')
  const mesh = peers.filter((p) => p.type === 'NodeMesh')
  const wantMesh = c.nodes.length - 1
  if (mesh.length !== wantMesh) {
    items.push({
      ok: false,
      text: `${mesh.length} node-to-node mesh peer(s), expected ${wantMesh} (the other nodes)`,
      fix: `nodeToNodeMeshEnabled: true is in manifests/20-calico-bgp.yaml: kubectl apply --server-side -f manifests/20-calico-bgp.yaml; ${onNode(...BIRDCL, 'show', 'protocols')}`,
    })
  }
  for (const p of mesh) {
    const who = `${nameOf.get(p.peerIP ?? '') ?? 'a node'} (${p.peerIP})`
    items.push(p.state === 'Established'
      ? { ok: true, text: `mesh ${who} Established`, fix: '' }
      : {
          ok: false,
          text: `mesh ${who} ${p.state ?? 'state unknown'}${since(p)}`,
          fix: `TCP 179 must be open between ${node} and ${who}; ${onNode(...BIRDCL, 'show', 'protocols', 'all', protocolName('Mesh', p.peerIP ?? ''))}`,
        })
  }
  const global = peers.find((p) => p.type === 'GlobalPeer' && p.peerIP === c.globalPeer.ip)
  const peerName = `${c.globalPeer.name} (${c.globalPeer.ip})`
  if (!global) {
    items.push({
      ok: false,
      text: `no session to ${peerName}`,
      fix: `the BGPPeer ${c.globalPeer.name} is in manifests/20-calico-bgp.yaml: kubectl apply --server-side -f manifests/20-calico-bgp.yaml; kubectl get bgppeers.projectcalico.org`,
    })
  } else {
    items.push(global.state === 'Established'
      ? { ok: true, text: `${peerName} Established`, fix: '' }
      : {
          ok: false,
          text: `${peerName} ${global.state ?? 'state unknown'}${since(global)}`,
          fix: `${c.globalPeerFix}; ${onNode(...BIRDCL, 'show', 'protocols', 'all', protocolName('Global', c.globalPeer.ip))}`,
        })
  }
  return verdict()
}
