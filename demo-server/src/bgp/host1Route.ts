// host1's route to the LoadBalancer address, live: its kernel table read through the allow-listed host runner
// (`ip -j -4 route show`, iproute2's JSON: one implementation of the parser and the judge with the routing twin,
// routes.ts), judged against the node that runs the Ready productpage pod (pod → spec.nodeName → the node's
// InternalIP), and set beside what the lab's manifests say host1 should learn for that node (the twin's confd view,
// exports.ts): the *expected* side, computed, never read.
import { join } from 'node:path'
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node'
import { LAB } from '../catalog/lab.ts'
import type { Lab, ProgramResult } from '../host/programs.ts'
import { abortable } from '../kube/clients.ts'
import { REPO_ROOT } from '../manifests.ts'
import { cidrContains, EXCLUDE_LB_LABEL } from './confd.ts'
import type { ClusterFacts } from './confd.ts'
import { expectedRoutes } from './exports.ts'
import type { ExpectedRoute } from './exports.ts'
import { labFromManifests, loadManifestDir, podPools } from './lab.ts'
import type { LabManifests } from './lab.ts'
import { internalIp } from './nodeStatus.ts'
import { judgeRoutes, parseIpRoutes } from './routes.ts'
import type { KernelRoute, RouteProblem, RouteVerdict } from './routes.ts'

/** Runs one fixed argv on the presenter's machine (host/programs.ts runHostProgram, or a test's stand-in). */
export type RunArgv = (argv: readonly string[]) => Promise<Pick<ProgramResult, 'exitCode' | 'stdout' | 'stderr' | 'failure'>>

export interface Problem {
  text: string
  fix: string
}

// ---- the endpoint ----------------------------------------------------------------------------------------------

export interface EndpointNode {
  node: string
  ip: string
  pod: string
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
}

/** The node running the Ready pod of `selector` in `namespace`, with its InternalIP; or what is wrong. */
export async function readEndpointNode(
  kc: KubeConfig,
  endpoint: { namespace: string; selector: string },
  nodes: readonly V1Node[],
  signal: AbortSignal,
): Promise<{ ok: true; endpoint: EndpointNode } | { ok: false; problem: Problem }> {
  const pods = (await abortable(kc, CoreV1Api, signal).listNamespacedPod({ namespace: endpoint.namespace, labelSelector: endpoint.selector })).items
  const ready = pods.filter(podReady)
  const where = `kubectl get pods -n ${endpoint.namespace} -l ${endpoint.selector} -o wide`
  if (ready.length === 0) {
    return {
      ok: false,
      problem: {
        text: `no Ready pod of ${endpoint.selector} in ${endpoint.namespace}${pods.length ? ` (${pods.map((p) => `${p.metadata?.name} ${p.status?.phase ?? '?'}`).join(', ')})` : ''}: nothing should advertise ${LAB.lbIp}`,
        fix: `${where}; kubectl describe pods -n ${endpoint.namespace} -l ${endpoint.selector}`,
      },
    }
  }
  const onNodes = [...new Set(ready.map((p) => p.spec?.nodeName ?? '?'))]
  if (onNodes.length > 1) {
    return {
      ok: false,
      problem: {
        text: `Ready pods of ${endpoint.selector} on ${onNodes.join(', ')}: the lab runs one replica (a rollout in progress?)`,
        fix: `${where}; kubectl rollout status -n ${endpoint.namespace} deploy/productpage-v1`,
      },
    }
  }
  const node = nodes.find((n) => n.metadata?.name === onNodes[0])
  const ip = node && internalIp(node)
  if (!ip) return { ok: false, problem: { text: `node ${onNodes[0]} (running ${ready[0]!.metadata?.name}) has no InternalIP`, fix: `kubectl get node ${onNodes[0]} -o wide` } }
  return { ok: true, endpoint: { node: onNodes[0]!, ip, pod: ready[0]!.metadata?.name ?? '' } }
}

// ---- host1's table ---------------------------------------------------------------------------------------------

/** What to do when host1 cannot be read, per lab. */
const HOST1_UNREADABLE: Record<Lab, string> = {
  kind: 'is host1 running? docker ps --filter name=host1; npm run cluster:kind re-creates it',
  vms: 'is host1 running? multipass list; multipass start host1',
}

/** host1's kernel routes, or why they could not be read. */
export async function readHost1Routes(runHost: RunArgv, argv: readonly string[], lab: Lab): Promise<{ ok: true; routes: KernelRoute[] } | { ok: false; problem: Problem }> {
  const r = await runHost(argv)
  if (r.exitCode !== 0) {
    const said = (r.stderr || r.stdout || r.failure || `exit ${r.exitCode ?? '?'}`).trim()
    if (/BusyBox/.test(said)) {
      // BusyBox's ip has no -j, and prints a multipath route without any of its next hops
      return {
        ok: false,
        problem: {
          text: 'host1 has BusyBox’s ip, which prints no JSON and hides the next hops of a multipath route',
          fix: lab === 'kind' ? 'npm run cluster:kind (re-creates host1 with iproute2)' : 'multipass exec host1 -- sudo apt-get install -y iproute2',
        },
      }
    }
    return { ok: false, problem: { text: `host1 could not be read: ${said.split('\n')[0]}`, fix: HOST1_UNREADABLE[lab] } }
  }
  try {
    return { ok: true, routes: parseIpRoutes(r.stdout) }
  } catch (error) {
    return { ok: false, problem: { text: `host1's \`ip -j\` printed no route list (${(error as Error).message.slice(0, 120)})`, fix: HOST1_UNREADABLE[lab] } }
  }
}

// ---- judging ---------------------------------------------------------------------------------------------------

const APPLY_BGP = 'kubectl apply --server-side -f manifests/20-calico-bgp.yaml'

/** The fix for each kind of wrong route. */
function fixFor(problem: RouteProblem, endpoint: EndpointNode, lab: Lab, endpointExcluded: boolean): string {
  switch (problem) {
    case 'several-next-hops':
      return `nodes without productpage advertise ${LAB.lbIp} too: ${APPLY_BGP} (BGPFilter host1-loadbalancer-only, nextHopMode Keep) and label the control plane ${EXCLUDE_LB_LABEL}=true`
    case 'aggregate':
      return `the LoadBalancer range is advertised as an aggregate: ${APPLY_BGP} (serviceLoadBalancerAggregation: Disabled, and the filter's prefixLength min 32)`
    case 'pod-block':
      return `pod blocks reach host1: ${APPLY_BGP} (the BGPFilter host1-loadbalancer-only rejects everything but the LoadBalancer /32s)`
    case 'other-node':
      return `host1 follows another node than ${endpoint.node}: is that node's route stale? kubectl get caliconodestatuses; ${lab === 'kind' ? 'docker exec host1 birdc -s /run/bird.ctl show route' : 'multipass exec host1 -- sudo birdc show route'}`
    case 'no-route':
      if (endpointExcluded) return `productpage runs on ${endpoint.node}, labelled ${EXCLUDE_LB_LABEL}=true, which never advertises: reschedule it on a worker (kubectl delete pod -n ${LAB.namespace} ${endpoint.pod})`
      return `${endpoint.node} does not advertise ${LAB.lbIp}: is its session to host1 Established (kubectl get caliconodestatuses)? ${lab === 'kind' ? 'docker exec host1 birdc -s /run/bird.ctl show protocols' : 'multipass exec host1 -- sudo birdc show protocols'}`
  }
}

export interface Host1Judgement {
  ok: boolean
  /** every route host1 learnt over BGP, judged; plus a failing line when none covers the LoadBalancer address */
  verdicts: RouteVerdict[]
  /** the red items, each with its fix (one per kind of problem) */
  problems: Problem[]
}

/**
 * The twin's judge on host1's live table, for the live endpoint node. One difference from the twin's pass rule: an
 * aggregate covering the LoadBalancer address is red here even when it leads to the endpoint node alone (every node
 * that is not excluded would send it as soon as the /32 moves).
 */
export function judgeHost1(routes: KernelRoute[], endpoint: EndpointNode, nodes: readonly V1Node[], lab: LabManifests, labKind: Lab): Host1Judgement {
  const nodeNames = Object.fromEntries(nodes.flatMap((n) => {
    const ip = internalIp(n)
    return ip ? [[ip, n.metadata?.name ?? ip]] : []
  }))
  const verdicts = judgeRoutes(routes, { lbIp: LAB.lbIp, endpointNode: endpoint.node, endpointIp: endpoint.ip, podPools: podPools(lab), nodeNames }).map((v) =>
    v.ok && !v.prefix.endsWith('/32') && cidrContains(v.prefix, LAB.lbIp)
      ? { ...v, ok: false, why: `${v.prefix} is an aggregate of the LoadBalancer range`, problem: 'aggregate' as const }
      : v,
  )
  const excluded = nodes.find((n) => n.metadata?.name === endpoint.node)?.metadata?.labels?.[EXCLUDE_LB_LABEL] === 'true'
  const problems: Problem[] = []
  for (const kind of ['no-route', 'several-next-hops', 'other-node', 'aggregate', 'pod-block'] as const) {
    const bad = verdicts.filter((v) => v.problem === kind)
    if (bad.length) problems.push({ text: bad.map((v) => v.why).join('; '), fix: fixFor(kind, endpoint, labKind, excluded) })
  }
  return { ok: problems.length === 0, verdicts, problems }
}

// ---- the expectation -------------------------------------------------------------------------------------------

/** The lab's BGP objects, read from manifests/ (each run reads them again: an edited file counts at once). */
export function labManifests(repoRoot = REPO_ROOT): LabManifests {
  return labFromManifests(loadManifestDir(join(repoRoot, 'manifests')))
}

/** The live cluster as the confd view needs it: node names, addresses and labels, the endpoint where it runs. */
export function liveCluster(nodes: readonly V1Node[], endpoint: EndpointNode | undefined, service: string): ClusterFacts {
  return {
    nodes: nodes.flatMap((n) => {
      const ip = internalIp(n)
      if (!ip || !n.metadata?.name) return []
      // calico-node's own address annotation carries the prefix length (the node's network); only the rendered
      // configuration uses it, not which routes a node originates
      const annotated = n.metadata.annotations?.['projectcalico.org/IPv4Address']
      return [{ name: n.metadata.name, ip, prefixLength: annotated?.includes('/') ? Number(annotated.split('/')[1]) : 32, labels: n.metadata.labels ?? {}, blocks: [] }]
    }),
    endpoints: endpoint ? [{ service, node: endpoint.node, ready: true }] : [],
  }
}

/** What host1 should learn, from manifests/ through the twin's confd view, for the live endpoint node. */
export function expectedForHost1(lab: LabManifests, nodes: readonly V1Node[], endpoint: EndpointNode | undefined): ExpectedRoute[] {
  return expectedRoutes(lab, liveCluster(nodes, endpoint, `${LAB.namespace}/${LAB.lbService}`), LAB.host1Ip)
}
