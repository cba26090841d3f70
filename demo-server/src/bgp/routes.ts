// Reading a router's kernel table (`ip -j route`, iproute2's JSON) and judging it against the lab's promise: every
// route that covers the LoadBalancer address leads to the node with the ready endpoint and nowhere else, and no pod
// block reaches the outside router. One judge for the routing twin (scripts/twin-bgp.ts, host1 in a namespace) and
// for the live lab (demo:check and the BGP slide, host1 read through docker / multipass).
import { cidrContains } from './confd.ts'

export interface KernelRoute {
  /** e.g. 198.19.48.10/32 (iproute2 prints a host route without /32; it is added here) */
  prefix: string
  /** gateway addresses, sorted; empty for a route without one (blackhole, device route) */
  nextHops: string[]
  protocol: string
}

interface IpJsonRoute {
  dst: string
  gateway?: string
  protocol?: string
  nexthops?: { gateway?: string }[]
}

/** Parses `ip -j -4 route show` output. */
export function parseIpRoutes(json: string): KernelRoute[] {
  const list = JSON.parse(json) as IpJsonRoute[]
  if (!Array.isArray(list)) throw new Error('ip -j route did not print a JSON array')
  return list.map((r) => {
    const prefix = r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`
    const hops = r.nexthops ? r.nexthops.map((h) => h.gateway) : [r.gateway]
    return { prefix, nextHops: hops.filter((h): h is string => Boolean(h)).sort(), protocol: r.protocol ?? '' }
  })
}

function prefixContains(outer: string, inner: string): boolean {
  const [ip, bits] = inner.split('/')
  return Number(outer.split('/')[1]) <= Number(bits) && cidrContains(outer, ip!)
}

/** What is wrong with a route, each with its own fix. */
export type RouteProblem =
  /** a route to the LoadBalancer address with several next hops (ECMP): nodes without the endpoint among them */
  | 'several-next-hops'
  /** a route shorter than /32 covers the LoadBalancer address: the aggregate of the LoadBalancer range */
  | 'aggregate'
  /** one next hop, but not the endpoint node */
  | 'other-node'
  /** a pod block reaches the outside router */
  | 'pod-block'
  /** nothing covers the LoadBalancer address */
  | 'no-route'

export interface RouteVerdict {
  prefix: string
  nextHops: string[]
  endpointNode: string
  ok: boolean
  /** why not ok */
  why?: string
  problem?: RouteProblem
}

export interface Expectation {
  lbIp: string
  endpointNode: string
  endpointIp: string
  /** CIDRs of the pod pools: no route inside them may reach the outside router */
  podPools: string[]
  /** node address -> node name, to name the next hops in messages */
  nodeNames: Record<string, string>
}

/**
 * One verdict per route learnt over BGP (protocol bird), plus a failing verdict for the LoadBalancer address when
 * no route covers it at all.
 */
export function judgeRoutes(routes: KernelRoute[], e: Expectation): RouteVerdict[] {
  const name = (ip: string) => e.nodeNames[ip] ?? ip
  const verdicts: RouteVerdict[] = []
  const learnt = routes.filter((r) => r.protocol === 'bird')
  for (const r of learnt) {
    const base = { prefix: r.prefix, nextHops: r.nextHops, endpointNode: e.endpointNode }
    if (r.prefix === '0.0.0.0/0' ? false : cidrContains(r.prefix, e.lbIp)) {
      const alone = r.nextHops.length === 1 && r.nextHops[0] === e.endpointIp
      const problem: RouteProblem = !r.prefix.endsWith('/32') ? 'aggregate' : r.nextHops.length > 1 ? 'several-next-hops' : 'other-node'
      verdicts.push({
        ...base,
        ok: alone,
        ...(alone ? {} : { why: `${r.prefix} leads to ${r.nextHops.map(name).join(', ') || 'nowhere'}, not to ${e.endpointNode} alone`, problem }),
      })
    } else if (e.podPools.some((pool) => prefixContains(pool, r.prefix))) {
      verdicts.push({ ...base, ok: false, why: `pod block ${r.prefix} reaches the outside router (via ${r.nextHops.map(name).join(', ')})`, problem: 'pod-block' })
    } else {
      verdicts.push({ ...base, ok: true })
    }
  }
  if (!learnt.some((r) => cidrContains(r.prefix, e.lbIp))) {
    verdicts.push({ prefix: `${e.lbIp}/32`, nextHops: [], endpointNode: e.endpointNode, ok: false, why: `no route to ${e.lbIp}`, problem: 'no-route' })
  }
  return verdicts
}

/** True when every route covering the LoadBalancer address leads to the endpoint node alone (and one exists). */
export function lbRoutesFollow(routes: KernelRoute[], e: Pick<Expectation, 'lbIp' | 'endpointIp'>): boolean {
  const covering = routes.filter((r) => r.protocol === 'bird' && cidrContains(r.prefix, e.lbIp))
  return covering.length > 0 && covering.every((r) => r.nextHops.length === 1 && r.nextHops[0] === e.endpointIp)
}
