// The routing twin: real BIRD routers in network namespaces, configured from the lab's own files.
//
//   lan (bridge br0, 198.19.0.0/20)
//    ├─ control 198.19.0.1 ─┐
//    ├─ node1   198.19.0.2  ├─ BIRD 1.6, configuration rendered from manifests/ as confd renders it (render.ts)
//    ├─ node2   198.19.0.3 ─┘   full mesh AS 64512, each peering with host1
//    └─ host1   198.19.15.254 (+ 198.19.14.254) BIRD 2 with scripts/lib.sh host1_bird_conf, AS 64513
//
// It places productpage's ready endpoint on one node, waits until the BGP sessions are up and host1's kernel table
// stops changing, reads that table (`ip -j route`), judges every route, then moves the endpoint to another node
// (both nodes' confd re-render; BIRD reconfigures) and measures how long host1's routes take to follow.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { withNetLab } from '../netns.ts'
import type { NetLab } from '../netns.ts'
import { host1BirdConf, NODE_NAMES, twinCluster } from './cluster.ts'
import type { NodeName, TwinInputs } from './cluster.ts'
import { cidrContains, confdView } from '../../../demo-server/src/bgp/confd.ts'
import { renderNode } from './render.ts'
import { judgeRoutes, lbRoutesFollow, parseIpRoutes } from '../../../demo-server/src/bgp/routes.ts'
import type { KernelRoute, RouteVerdict } from '../../../demo-server/src/bgp/routes.ts'
import type { BirdTools } from './tools.ts'

export type TwinLine =
  | (RouteVerdict & { phase: 'initial' | 'moved' })
  | { phase: 'initial' | 'moved'; node: NodeName; advertises: string[] }
  | { phase: 'moved'; from: NodeName; to: NodeName; followedMs: number | null; withdrawnMs: number | null; announcedMs: number | null; noRouteMs: number }
  | { result: 'pass' | 'fail'; failures: string[] }

export interface TwinOptions {
  inputs: TwinInputs
  tools: BirdTools
  from: NodeName
  to: NodeName
  /** bound for each wait until the twin is up (sessions Established, routes settled) */
  timeoutMs: number
  /** bound for host1's routes to follow the moved endpoint */
  followMs: number
  emit: (line: TwinLine) => void
  /** progress for humans (stderr) */
  log: (message: string) => void
}

const HOST1 = 'host1'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function run(argv: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : 1) : 0
      resolve({ code, stdout, stderr: stderr || (error && code !== 0 && !stderr ? error.message : '') })
    })
  })
}

async function must(argv: string[], what: string): Promise<string> {
  const r = await run(argv)
  if (r.code !== 0) throw new Error(`${what} failed: ${argv.join(' ')}\n${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout
}

class Router {
  readonly ctl: string
  readonly stderr: string[] = []
  proc: ChildProcess | undefined
  readonly name: string
  readonly ns: string
  readonly dir: string
  readonly bird: string
  readonly birdc: string
  readonly config: string
  constructor(name: string, ns: string, dir: string, bird: string, birdc: string, config: string) {
    this.name = name
    this.ns = ns
    this.dir = dir
    this.bird = bird
    this.birdc = birdc
    this.config = config
    this.ctl = join(dir, 'bird.ctl')
  }

  start(lab: NetLab): void {
    this.proc = lab.spawn(this.ns, [this.bird, '-f', '-c', join(this.dir, this.config), '-s', this.ctl], { stdio: ['ignore', 'ignore', 'pipe'] })
    this.proc.stderr!.setEncoding('utf8')
    this.proc.stderr!.on('data', (chunk: string) => {
      this.stderr.push(chunk)
      if (this.stderr.length > 200) this.stderr.shift()
    })
  }

  /** Fails with BIRD's own message if the process died. */
  alive(): void {
    if (this.proc && this.proc.exitCode !== null) {
      throw new Error(`BIRD on ${this.name} exited (${this.proc.exitCode}): ${this.stderr.join('').trim().split('\n').slice(-5).join(' | ')}`)
    }
  }

  async cli(...args: string[]): Promise<string> {
    const r = await run([this.birdc, '-s', this.ctl, ...args])
    return r.code === 0 ? r.stdout : ''
  }

  /** Names of BGP protocols and whether each is Established. */
  async bgpSessions(): Promise<{ name: string; established: boolean }[]> {
    return (await this.cli('show', 'protocols'))
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === 'BGP')
      .map((f) => ({ name: f[0]!, established: f.includes('Established') }))
  }
}

async function hostRoutes(ns: string): Promise<KernelRoute[]> {
  return parseIpRoutes(await must(['ip', '-n', ns, '-j', '-4', 'route', 'show'], `reading routes in ${ns}`))
}

const routesKey = (routes: KernelRoute[]) =>
  routes
    .filter((r) => r.protocol === 'bird')
    .map((r) => `${r.prefix}>${r.nextHops.join(',')}`)
    .sort()
    .join(' ')

export async function runTwin(o: TwinOptions): Promise<boolean> {
  const { inputs, tools } = o
  const work = mkdtempSync(join(tmpdir(), 'bgptwin-'))
  const removeWork = () => rmSync(work, { recursive: true, force: true })
  process.once('exit', removeWork)
  try {
    return await withNetLab('bgptwin', async (lab) => {
      const failures: string[] = []
      const nodeIps = inputs.nodeIps
      const nodeNames: Record<string, string> = Object.fromEntries(NODE_NAMES.map((n) => [nodeIps[n], n]))
      const host1Ip = inputs.constants.HOST1_IP!
      const otherIp = inputs.constants.OTHER_IP

      // ---- network: one L2 segment, as the lab's nodes and host1 share one ----
      o.log('making namespaces: lan, host1, control, node1, node2')
      const lan = await lab.ns('lan')
      await must(['ip', '-n', lan, 'link', 'add', 'br0', 'type', 'bridge'], 'bridge')
      await must(['ip', '-n', lan, 'link', 'set', 'br0', 'up'], 'bridge up')
      const namespaces: Record<string, string> = {}
      for (const [name, addr] of [[HOST1, `${host1Ip}/${inputs.prefixLength}`], ...NODE_NAMES.map((n) => [n, `${nodeIps[n]}/${inputs.prefixLength}`])] as const) {
        const ns = await lab.ns(name)
        namespaces[name] = ns
        await lab.link({ ns, ifname: 'eth0', addr }, { ns: lan, ifname: name })
        await must(['ip', '-n', lan, 'link', 'set', name, 'master', 'br0'], `bridge port ${name}`)
        await lab.sysctl(ns, 'net.ipv4.ip_forward', 1)
      }
      if (otherIp) await must(['ip', '-n', namespaces[HOST1]!, 'addr', 'add', `${otherIp}/${inputs.prefixLength}`, 'dev', 'eth0'], 'host1 second address')

      // ---- configuration: confd's render per node, the lab's host1 text ----
      const routers = new Map<string, Router>()
      const writeNode = (name: NodeName, endpointNode: NodeName) => {
        const files = renderNode(confdView(inputs.lab, twinCluster(inputs, endpointNode), name))
        for (const [file, text] of Object.entries(files)) writeFileSync(join(work, name, file), text)
      }
      for (const name of NODE_NAMES) {
        mkdirSync(join(work, name))
        writeNode(name, o.from)
        routers.set(name, new Router(name, namespaces[name]!, join(work, name), tools.bird16, tools.birdc16, 'bird.cfg'))
      }
      mkdirSync(join(work, HOST1))
      writeFileSync(join(work, HOST1, 'bird.conf'), host1BirdConf(inputs))
      const host1 = new Router(HOST1, namespaces[HOST1]!, join(work, HOST1), tools.bird2, tools.birdc2, 'bird.conf')
      for (const r of [host1, ...routers.values()]) {
        const parse = await run([r.bird, '-p', '-c', join(r.dir, r.config)])
        if (parse.code !== 0) throw new Error(`BIRD refuses ${r.name}'s configuration (${join(r.dir, r.config)}): ${parse.stderr.trim()}`)
      }
      o.log(`starting BIRD 2 on host1 and BIRD 1.6 on the nodes; productpage's endpoint on ${o.from}`)
      host1.start(lab)
      for (const r of routers.values()) r.start(lab)

      // ---- wait: every session up, then host1's table quiet ----
      const deadline = (ms: number) => performance.now() + ms
      const sessionsBy = deadline(o.timeoutMs)
      for (;;) {
        for (const r of [host1, ...routers.values()]) r.alive()
        const all = await Promise.all([host1, ...routers.values()].map(async (r) => ({ r, s: await r.bgpSessions() })))
        const down = all.flatMap(({ r, s }) => (s.length === 0 ? [`${r.name}: no BGP protocol yet`] : s.filter((x) => !x.established).map((x) => `${r.name}/${x.name}`)))
        if (down.length === 0) break
        if (performance.now() > sessionsBy) throw new Error(`BGP sessions not Established after ${o.timeoutMs} ms: ${down.join(', ')}`)
        await sleep(200)
      }
      const settle = async (quietMs: number) => {
        const by = deadline(o.timeoutMs)
        let key = routesKey(await hostRoutes(namespaces[HOST1]!))
        let since = performance.now()
        while (performance.now() - since < quietMs) {
          if (performance.now() > by) throw new Error(`host1's routes still changing after ${o.timeoutMs} ms`)
          await sleep(100)
          const next = routesKey(await hostRoutes(namespaces[HOST1]!))
          if (next !== key) {
            key = next
            since = performance.now()
          }
        }
      }
      await settle(3000)

      const report = async (phase: 'initial' | 'moved', endpointNode: NodeName) => {
        for (const name of NODE_NAMES) {
          const exported = await routers.get(name)!.cli('show', 'route', 'export', `Global_${host1Ip.split('.').join('_')}`)
          const advertises = [...exported.matchAll(/^(\d+\.\d+\.\d+\.\d+\/\d+)\s/gm)].map((m) => m[1]!)
          o.emit({ phase, node: name, advertises })
        }
        const verdicts = judgeRoutes(await hostRoutes(namespaces[HOST1]!), {
          lbIp: inputs.lbIp,
          endpointNode,
          endpointIp: nodeIps[endpointNode],
          podPools: inputs.podPools,
          nodeNames,
        })
        for (const v of verdicts) {
          const { why, problem: _problem, ...line } = v
          o.emit({ ...line, phase })
          if (!v.ok) failures.push(`${phase}: ${why}`)
        }
      }
      await report('initial', o.from)

      // ---- move the endpoint: confd on every node re-renders, BIRD reconfigures ----
      o.log(`moving productpage's endpoint from ${o.from} to ${o.to}`)
      for (const name of NODE_NAMES) writeNode(name, o.to)
      const t0 = performance.now()
      const reconfigured = await Promise.all([...routers.values()].map((r) => r.cli('configure')))
      for (const [i, out] of reconfigured.entries()) {
        if (!/Reconfigur/i.test(out)) throw new Error(`birdc configure on ${NODE_NAMES[i]} did not reconfigure: ${out.trim()}`)
      }
      let followedMs: number | null = null
      let withdrawnMs: number | null = null
      let announcedMs: number | null = null
      let noRouteMs = 0
      let lastPoll = t0
      const followBy = deadline(o.followMs)
      while (performance.now() < followBy) {
        const routes = await hostRoutes(namespaces[HOST1]!)
        const now = performance.now()
        const covering = routes.filter((r) => r.protocol === 'bird' && cidrContains(r.prefix, inputs.lbIp))
        const hops = new Set(covering.flatMap((r) => r.nextHops))
        if (covering.length === 0) noRouteMs += now - lastPoll
        if (withdrawnMs === null && !hops.has(nodeIps[o.from])) withdrawnMs = now - t0
        if (announcedMs === null && hops.has(nodeIps[o.to])) announcedMs = now - t0
        if (lbRoutesFollow(routes, { lbIp: inputs.lbIp, endpointIp: nodeIps[o.to] })) {
          followedMs = now - t0
          break
        }
        lastPoll = now
        await sleep(20)
      }
      const round = (x: number | null) => (x === null ? null : Math.round(x))
      o.emit({ phase: 'moved', from: o.from, to: o.to, followedMs: round(followedMs), withdrawnMs: round(withdrawnMs), announcedMs: round(announcedMs), noRouteMs: Math.round(noRouteMs) })
      if (followedMs === null) failures.push(`moved: host1's routes to ${inputs.lbIp} did not come to lead to ${o.to} alone within ${o.followMs} ms`)
      await settle(3000)
      await report('moved', o.to)

      o.emit({ result: failures.length === 0 ? 'pass' : 'fail', failures })
      return failures.length === 0
    })
  } finally {
    removeWork()
    process.off('exit', removeWork)
  }
}
