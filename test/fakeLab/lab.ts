// The fake lab: the test suite's fake API server holding the whole lab (objects.ts), answering like the lab would —
// so a whole rehearsal, a deck or an export can run against it on a machine with no cluster.
//
// - Execs in pods answer as busybox, curl and nc answered under real drop and accept conditions
//   (test/fixtures/probe-*-outputs.json), allowed or denied as the policies live in the fake API server say: the
//   verdict comes from the tests' one independent oracle (test/support/leastPrivilege.ts), never from the engine the
//   demo server uses, so a rehearsal against the fake lab still compares two opinions.
// - The outside clients (host1, host2) are reached as on the kind lab, through `docker exec`: a stand-in `docker` on
//   PATH (a shell script: curl hands its argv to this process) prints what this process answers, the same way.
// - Calico's flow logs: a fake whisker pod (test/fakeWhisker: whisker-backend v3.31.7's API behind nginx's routing)
//   reached through a port-forward of the fake API server, as the demo reads the real one. Its records are written by
//   the fake for each probe it answers, from the same independent oracle that decides the probe — not by Calico, and
//   not from the demo's engine (flowLogs.ts says how, and what it simplifies).
// - A controller completes a restarted Deployment's rollout and reports it in events, as the kubelet and the
//   Deployment controller would; and it fills in each CalicoNodeStatus as calico-node's status reporter would (BIRD
//   ready, the mesh and the session to host1 Established).
//
// Nothing it answers is a cluster's: its context is fake-calico-lab (a `fake-` context: the deck marks runs recorded
// on one, setup/replayRule.ts), and its runs must never be committed as a recording.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import type { Action } from '../../demo-server/src/catalog/types.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { FAKE_CONTEXT_PREFIX } from '../../setup/replayRule.ts'
import { startFakeKube } from '../fakeKube/server.ts'
import type { ExecRequest, ExecScript, FakeKube, KubeObject } from '../fakeKube/server.ts'
import { WHISKER_POD } from '../fakeWhisker/objects.ts'
import { attachPortForward } from '../fakeWhisker/portForward.ts'
import { startFakeWhisker } from '../fakeWhisker/server.ts'
import type { FakeWhisker } from '../fakeWhisker/server.ts'
import { LeastPrivilegeOracle } from '../support/leastPrivilege.ts'
import type { Endpoint } from '../support/leastPrivilege.ts'
import { FakeFlowLogs } from './flowLogs.ts'
import type { FlowEnd } from './flowLogs.ts'
import { FAKE_NODES, fakeLabObjects } from './objects.ts'

/** The fake lab's kube context: not the lab's own name, so nothing recorded against it passes for the real lab. */
export const FAKE_LAB_CONTEXT = `${FAKE_CONTEXT_PREFIX}calico-lab`

/** Goldmane's bucket (and Felix's flush) in tests of the fake lab: a second, where the release's is 15 s. */
export const TEST_FLOW_BUCKET_SECONDS = 1

/**
 * The catalog as an in-process test runs it on a fake lab whose flow records come in `bucketSeconds` buckets: each
 * matrix waits one such flush for Calico's opinion (not Felix's 15 s), reading every second.
 */
export function fakeLabActions(bucketSeconds = TEST_FLOW_BUCKET_SECONDS): Action[] {
  return defaultActions().map((a) => (a.kind === 'probe-matrix' && a.flowLogs
    ? { ...a, flowLogs: { ...a.flowLogs, flushSeconds: bucketSeconds, pollSeconds: 1, deadlineSeconds: Math.max(bucketSeconds + 5, 5) } }
    : a))
}

export interface FakeLabOptions {
  /** how long a denied probe takes to give up (the real ones wait out their timeout) */
  deniedMs?: number
  /** how long an allowed probe takes */
  allowedMs?: number
  /** where the stand-in programs go (a bin/ folder is made in it); default: a new temporary folder */
  dir?: string
  /**
   * Goldmane's bucket width in seconds (default 15, the release's): a probe's flow records are listed when its bucket
   * closes, so a matrix waits up to this long for Calico's opinion. Tests shorten it.
   */
  flowBucketSeconds?: number
}

/** A test's own answer to an exec (see FakeLab.override). */
export type ExecOverride = ExecScript | 'allowed' | 'denied' | undefined

/** What a client outside the cluster prints: the stand-in `docker` writes it and exits with the code. */
export interface OutsideAnswer {
  stdout: string
  stderr: string
  exitCode: number
}

export interface FakeLab {
  fake: FakeKube
  context: string
  /** a folder to put first on PATH: the stand-in `docker` and `multipass` for the outside clients (they need curl) */
  binDir: string
  /** the environment a child process needs to reach the lab: KUBECONFIG, PATH, DEMO_LAB=kind */
  env(kubeconfig: string): NodeJS.ProcessEnv
  /**
   * answers one exec differently: a script of its own, or 'allowed' / 'denied' to answer a probe as if the policies said
   * so (with the tool's real output); undefined keeps the lab's answer. override(undefined) clears it.
   */
  override(handler: ((req: ExecRequest) => ExecOverride) | undefined): void
  /** step policies present now (projectcalico.org/v3 objects in dev1: NetworkPolicies, StagedNetworkPolicies) */
  policies(): string[]
  /** the fake whisker pod: the flow records the lab has filed, the requests it saw */
  whisker: FakeWhisker
  close(): Promise<void>
}

// ---- real outputs -------------------------------------------------------------------------------------------------

interface Row { tool: string; env: string; cond: string; exitCode: number; stdout: string; stderr: string }
const fixtures = (file: string): Row[] => JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', file), 'utf8')) as Row[]
const REAL = [...fixtures('probe-real-outputs.json'), ...fixtures('probe-netns-outputs.json')]
function real(tool: string, env: RegExp, cond: string): Row {
  const row = REAL.find((r) => r.tool === tool && env.test(r.env) && r.cond === cond)
  if (!row) throw new Error(`no recorded ${tool} output for ${cond}`)
  return row
}

type Tool = 'wget' | 'curl' | 'nc' | 'dns'

/** What `tool` printed when the connection went through (allowed) or its packets were dropped (denied). */
function recordedOutput(tool: Tool, allowed: boolean, where: { alpine: boolean; ip: string; port: number; deniedMs: number }): OutsideAnswer {
  const row = tool === 'nc' ? real('nc', /busybox 1\.35\.0 from Debian/, allowed ? 'ok' : 'drop')
    : tool === 'curl' ? real('curl', /^curl8\.14$/, allowed ? 'ok' : 'drop')
      : real(tool, where.alpine ? /^alpine$/ : /^bb136$/, tool === 'dns' ? (allowed ? 'dns-ok' : 'dns-drop') : allowed ? 'ok' : 'drop')
  const fill = (text: string) => text.replace(/10\.77\.\d+\.\d+/g, where.ip).replace(/(:|port )9080\b/g, `$1${where.port}`).replace(/after \d+ milliseconds/, `after ${where.deniedMs} milliseconds`)
  return { stdout: fill(row.stdout), stderr: fill(row.stderr), exitCode: row.exitCode }
}

// ---- what an exec or an outside command aims at -------------------------------------------------------------------

interface Target { endpoint: Endpoint; pod: PodObj; ip: string; port: number; protocol: 'TCP' | 'UDP' }

type Labels = Record<string, string>
interface PodObj extends KubeObject { metadata: KubeObject['metadata'] & { labels?: Labels }; spec: { nodeName?: string }; status?: { podIP?: string } }
interface SvcObj extends KubeObject {
  spec: { selector?: Labels; clusterIP?: string; ports?: Array<{ port: number; targetPort?: number | string; protocol?: string }> }
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } }
}

const BOOKINFO_TITLE = '<title>Simple Bookstore App</title>\n'
/** productpage's page as `grep -o -E "Book Details|…" | sort | uniq -c` counts it with details, reviews v2 and ratings answering */
const BOOKINFO_PARTS = '      1 Book Details\n      1 Book Reviews\n     10 glyphicon-star\n'

class Lab {
  override: ((req: ExecRequest) => ExecOverride) | undefined
  readonly fake: FakeKube
  private readonly deniedMs: number
  private readonly allowedMs: number
  private readonly flowLogs: FakeFlowLogs

  constructor(fake: FakeKube, options: FakeLabOptions, flowLogs: FakeFlowLogs) {
    this.fake = fake
    this.deniedMs = options.deniedMs ?? 2000
    this.allowedMs = options.allowedMs ?? 20
    this.flowLogs = flowLogs
  }

  private objects<T extends KubeObject>(kind: string): T[] {
    return (this.fake.objects() as KubeObject[]).filter((o) => o.kind === kind) as T[]
  }

  private endpointOf(pod: PodObj): Endpoint {
    return { id: `${pod.metadata.namespace}/${pod.metadata.name}`, ip: pod.status?.podIP ?? '', namespace: pod.metadata.namespace, labels: pod.metadata.labels ?? {} }
  }

  /** The pod behind a Service port, or the pod an address names; undefined when the name leads nowhere. */
  target(host: string, port: number | undefined, fromNamespace: string, protocol: 'TCP' | 'UDP' = 'TCP'): Target | undefined {
    const services = this.objects<SvcObj>('Service')
    const pods = this.objects<PodObj>('Pod').filter((p) => p.status?.podIP).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    let service: SvcObj | undefined
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
      service = services.find((s) => s.spec.clusterIP === host || s.status?.loadBalancer?.ingress?.some((i) => i.ip === host))
      if (!service) {
        const pod = pods.find((p) => p.status?.podIP === host)
        return pod ? { endpoint: this.endpointOf(pod), pod, ip: host, port: port ?? 80, protocol } : undefined
      }
    } else {
      const [name, namespace = fromNamespace] = host.replace(/\.svc\.cluster\.local\.?$/, '').split('.')
      service = services.find((s) => s.metadata.name === name && s.metadata.namespace === namespace)
    }
    if (!service) return undefined
    const servicePort = (service.spec.ports ?? []).find((p) => port === undefined || p.port === port) ?? (service.spec.ports ?? [])[0]
    const backend = pods.find((p) => p.metadata.namespace === service.metadata.namespace && Object.entries(service.spec.selector ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v))
    if (!backend || !servicePort) return undefined
    const targetPort = typeof servicePort.targetPort === 'number' ? servicePort.targetPort : servicePort.port
    return { endpoint: this.endpointOf(backend), pod: backend, ip: host.match(/^\d/) ? host : (service.spec.clusterIP ?? ''), port: targetPort, protocol }
  }

  /** Whether the policies in the fake API server right now let `from` reach `to` (the oracle's opinion). */
  allowed(from: Endpoint, to: Target): boolean {
    const policies = (this.fake.objects() as KubeObject[]).filter((o) => o.apiVersion === 'projectcalico.org/v3' && o.kind === 'NetworkPolicy')
    return new LeastPrivilegeOracle(policies.map((obj, index) => ({ file: 'fake-lab', index, obj }))).allowed(from, to.endpoint, to.port, to.protocol)
  }

  /**
   * A probe from `from`: which tool, where to, and what it prints (as a pipeline's end when it is one). Calico's
   * records of it are filed as it starts (none when a test forced the verdict).
   */
  probe(from: FlowEnd, argv: readonly string[], fromNamespace: string, alpine: boolean, clientIp: string, forced?: 'allowed' | 'denied'): (OutsideAnswer & { delayMs: number }) | undefined {
    const text = argv.join(' ')
    const tool: Tool | undefined = /\bnslookup\b/.test(text) ? 'dns' : /\bcurl\b/.test(text) ? 'curl' : /\bwget\b/.test(text) ? 'wget' : /\bnc\b/.test(text) ? 'nc' : undefined
    if (!tool) return undefined
    let target: Target | undefined
    if (tool === 'dns') target = this.target('kube-dns.kube-system', 53, fromNamespace, 'UDP')
    else {
      const url = /https?:\/\/([A-Za-z0-9.-]+)(?::(\d+))?/.exec(text)
      const nc = /\bnc\b.*?\s([A-Za-z0-9.-]+)\s+(\d+)\s*$/.exec(text)
      const host = url?.[1] ?? nc?.[1]
      const port = url ? Number(url[2] ?? 80) : nc ? Number(nc[2]) : undefined
      target = host ? this.target(host, port, fromNamespace) : undefined
    }
    if (!target) return { stdout: '', stderr: `${tool}: bad address\n`, exitCode: 1, delayMs: this.allowedMs }
    const allowed = forced ? forced === 'allowed' : this.allowed(from.endpoint, target)
    if (!forced) this.flowLogs.record(this.fake.objects() as KubeObject[], from, { endpoint: target.endpoint, pod: target.pod, port: target.port, protocol: target.protocol })
    const shown = tool === 'dns' ? (this.target('kube-dns.kube-system', 53, fromNamespace, 'UDP')?.ip ?? '') : target.ip
    const out = recordedOutput(tool, allowed, { alpine, ip: tool === 'dns' ? '198.19.32.10' : shown, port: target.port, deniedMs: this.deniedMs })
    const delayMs = allowed ? this.allowedMs : this.deniedMs
    // a pipeline that greps the page: what reaches the terminal is grep's answer
    if (/grep -o "<title>/.test(text)) return allowed ? { stdout: BOOKINFO_TITLE, stderr: '', exitCode: 0, delayMs } : { stdout: '', stderr: out.stderr, exitCode: 1, delayMs }
    if (/Book Details/.test(text)) return allowed ? { stdout: BOOKINFO_PARTS, stderr: '', exitCode: 0, delayMs } : { stdout: '', stderr: out.stderr, exitCode: 1, delayMs }
    if (tool === 'curl') {
      const w = argv.indexOf('-w')
      const written = (w >= 0 ? (argv[w + 1] ?? '') : '')
        .replaceAll('%{http_code}', allowed ? '200' : '000')
        .replaceAll('%{local_ip}', allowed ? clientIp : '')
        .replaceAll('%{num_connects}', allowed ? '1' : '0')
        .replaceAll('\\n', '\n')
      return { stdout: written, stderr: allowed ? '' : out.stderr, exitCode: out.exitCode, delayMs }
    }
    return { ...out, delayMs }
  }

  /** A node's routing table as calico-node shows it (host network): its pods, its block, the other nodes' blocks. */
  nodeRoutes(nodeName: string | undefined): string {
    const node = FAKE_NODES.find((n) => n.name === nodeName) ?? FAKE_NODES[1]
    const pods = this.objects<PodObj>('Pod').filter((p) => p.spec.nodeName === node.name && p.status?.podIP?.startsWith('198.19.16.'))
    const iface = (name: string) => `cali${Buffer.from(name).toString('hex').slice(0, 11)}`
    return [
      'default via 198.19.0.1 dev eth0 ',
      `198.19.0.0/20 dev eth0 proto kernel scope link src ${node.ip} `,
      ...FAKE_NODES.filter((n) => n !== node).map((n) => `${n.block} via ${n.ip} dev eth0 proto bird `),
      `blackhole ${node.block} proto bird `,
      ...pods.map((p) => `${p.status!.podIP} dev ${iface(p.metadata.name)} scope link `),
      '',
    ].join('\n')
  }

  /** BIRD's protocols on a node: the mesh to the other nodes and the session to host1, Established. */
  birdProtocols(nodeName: string | undefined): string {
    const node = FAKE_NODES.find((n) => n.name === nodeName) ?? FAKE_NODES[1]
    const row = (name: string, proto: string, info = '') => `${name.padEnd(20)} ${proto.padEnd(8)} master   up     08:01:12    ${info}`.trimEnd()
    return [
      'BIRD v0.3.3+birdv1.6.8 ready.',
      'name     proto    table    state  since       info',
      row('static1', 'Static'), row('kernel1', 'Kernel'), row('device1', 'Device'), row('direct1', 'Direct'),
      ...FAKE_NODES.filter((n) => n !== node).map((n) => row(`Mesh_${n.ip.replaceAll('.', '_')}`, 'BGP', 'Established')),
      row(`Global_${LAB.host1Ip.replaceAll('.', '_')}`, 'BGP', 'Established'),
      '',
    ].join('\n')
  }

  /** The node host1 learnt the LoadBalancer address from: the one running productpage (externalTrafficPolicy Local). */
  lbNextHop(): string {
    const backend = this.target(LAB.lbIp, 80, LAB.namespace)
    const pod = this.objects<PodObj>('Pod').find((p) => p.status?.podIP === backend?.endpoint.ip)
    return FAKE_NODES.find((n) => n.name === pod?.spec.nodeName)?.ip ?? FAKE_NODES[1].ip
  }

  exec(req: ExecRequest): ExecScript {
    const custom = this.override?.(req)
    if (typeof custom === 'object') return custom
    const pod = this.objects<PodObj>('Pod').find((p) => p.metadata.namespace === req.namespace && p.metadata.name === req.pod)
    if (!pod) return { exitCode: 1 }
    const text = req.command.join(' ')
    const answer = (a: OutsideAnswer & { delayMs?: number }): ExecScript => ({
      steps: [{ delayMs: a.delayMs ?? this.allowedMs }, ...(a.stdout ? [{ stdout: a.stdout }] : []), ...(a.stderr ? [{ stderr: a.stderr }] : [])],
      exitCode: a.exitCode,
    })
    if (/^birdcl\b/.test(text)) return answer({ stdout: this.birdProtocols(pod.spec.nodeName), stderr: '', exitCode: 0 })
    if (text === 'ip route') return answer({ stdout: this.nodeRoutes(pod.spec.nodeName), stderr: '', exitCode: 0 })
    if (/ip -4 addr show eth0; ip route/.test(text)) {
      const ip = pod.status?.podIP ?? ''
      return answer({
        stdout: `3: eth0@if${(Number(ip.split('.')[3]) % 50) + 7}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1480 qdisc noqueue state UP qlen 1000\n    inet ${ip}/32 scope global eth0\n       valid_lft forever preferred_lft forever\ndefault via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n`,
        stderr: '',
        exitCode: 0,
      })
    }
    const probe = this.probe({ endpoint: this.endpointOf(pod), pod }, req.command, req.namespace, pod.metadata.labels?.app === 'alpine', pod.status?.podIP ?? '', custom)
    return answer(probe ?? { stdout: '', stderr: '', exitCode: 0 })
  }

  /** An outside client's command: `docker exec host1 …` (kind) or `multipass exec host1 -- …` (VMs). */
  outside(argv: string[]): OutsideAnswer & { delayMs: number } {
    const [program, verb, client = '', ...rest] = argv
    const command = program === 'multipass' && rest[0] === '--' ? rest.slice(1) : rest
    if (verb !== 'exec' || !['host1', 'host2'].includes(client)) return { stdout: '', stderr: `Error response from daemon: No such container: ${client}\n`, exitCode: 1, delayMs: 0 }
    const text = command[0] === 'sh' && command[1] === '-c' ? command.slice(2).join(' ') : command.join(' ')
    const ip = client === 'host2' || text.includes(`--interface ${LAB.otherIp}`) ? LAB.otherIp : LAB.host1Ip
    const lbRoute = `${LAB.lbIp} via ${this.lbNextHop()} dev eth0 proto bird metric 32 `
    if (text === `ip route show ${LAB.lbIp}`) return { stdout: client === 'host1' ? `${lbRoute}\n` : '', stderr: '', exitCode: 0, delayMs: 0 }
    if (text === 'ip route show 198.19.48.0/24') return { stdout: client === 'host2' ? `198.19.48.0/24 via ${LAB.host1Ip} dev eth0 \n` : '', stderr: '', exitCode: 0, delayMs: 0 }
    if (/^ip (-j -4|-4 -j|-j) route( show)?$/.test(text)) return { stdout: JSON.stringify(this.outsideRoutes(client)), stderr: '', exitCode: 0, delayMs: 0 }
    if (text === 'ip route') {
      return { stdout: client === 'host1' ? `default via 198.19.0.1 dev eth0 \n198.19.0.0/20 dev eth0 proto kernel scope link src ${LAB.host1Ip} \n${lbRoute}\n` : `default via 198.19.0.1 dev eth0 \n198.19.0.0/20 dev eth0 proto kernel scope link src ${LAB.otherIp} \n198.19.48.0/24 via ${LAB.host1Ip} dev eth0 \n`, stderr: '', exitCode: 0, delayMs: 0 }
    }
    if (text === 'ip -4 addr show') return { stdout: `2: eth0    inet ${LAB.host1Ip}/20 scope global eth0\n2: eth0    inet ${LAB.otherIp}/20 scope global secondary eth0\n`, stderr: '', exitCode: 0, delayMs: 0 }
    return this.probe({ endpoint: { id: client, ip, labels: {} } }, command, LAB.namespace, false, ip) ?? { stdout: '', stderr: '', exitCode: 0, delayMs: 0 }
  }

  /** An outside client's kernel table as iproute2 prints it with -j: host1 learnt the LoadBalancer /32 over BGP. */
  outsideRoutes(client: string): object[] {
    const src = client === 'host1' ? LAB.host1Ip : LAB.otherIp
    return [
      { dst: 'default', gateway: '198.19.0.1', dev: 'eth0', flags: [] },
      { dst: '198.19.0.0/20', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: src, flags: [] },
      client === 'host1'
        ? { dst: LAB.lbIp, gateway: this.lbNextHop(), dev: 'eth0', protocol: 'bird', metric: 32, flags: [] }
        : { dst: '198.19.48.0/24', gateway: LAB.host1Ip, dev: 'eth0', flags: [] },
    ]
  }

  /** What calico-node's status reporter writes for a node whose BGP sessions are all up (CalicoNodeStatus fields). */
  private nodeStatus(node: string): object | undefined {
    const me = FAKE_NODES.find((n) => n.name === node)
    if (!me) return undefined
    const peers = [
      ...FAKE_NODES.filter((n) => n !== me).map((n) => ({ peerIP: n.ip, type: 'NodeMesh', state: 'Established', since: '08:01:12' })),
      { peerIP: LAB.host1Ip, type: 'GlobalPeer', state: 'Established', since: '08:01:40' },
    ]
    return {
      lastUpdated: new Date().toISOString(),
      agent: { birdV4: { state: 'Ready', version: 'v0.3.3+birdv1.6.8', routerID: me.ip } },
      bgp: { numberEstablishedV4: peers.length, numberNotEstablishedV4: 0, peersV4: peers },
    }
  }

  /** Completes a restarted Deployment's rollout the way the controllers report it: events, then a complete status. */
  private readonly rollingOut = new Set<string>()
  reconcile(): void {
    for (const o of this.objects<KubeObject & { spec?: { node?: string }; status?: { lastUpdated?: string } }>('CalicoNodeStatus')) {
      const status = !o.status?.lastUpdated && o.spec?.node ? this.nodeStatus(o.spec.node) : undefined
      if (status) this.fake.upsert({ ...o, status })
    }
    for (const d of this.objects<KubeObject & { status?: { observedGeneration?: number } }>('Deployment')) {
      const key = `${d.metadata.namespace}/${d.metadata.name}`
      if ((d.metadata.generation ?? 0) <= (d.status?.observedGeneration ?? 0) || this.rollingOut.has(key)) continue
      this.rollingOut.add(key)
      const namespace = String(d.metadata.namespace)
      const fresh = `${d.metadata.name}-${Date.now().toString(36).slice(-9)}-${Math.random().toString(36).slice(2, 7)}`
      const node = FAKE_NODES[2].name
      const event = (reason: string, message: string, name = fresh) => {
        const now = new Date().toISOString()
        this.fake.upsert({
          apiVersion: 'v1', kind: 'Event',
          metadata: { name: `${name}.${reason.toLowerCase()}.${Math.random().toString(36).slice(2, 8)}`, namespace },
          involvedObject: { kind: 'Pod', name, namespace }, reason, message, type: 'Normal', source: { component: 'kubelet', host: node },
          firstTimestamp: now, lastTimestamp: now, count: 1,
        })
      }
      const at = (ms: number, fn: () => void) => setTimeout(fn, ms).unref()
      at(50, () => event('Scheduled', `Successfully assigned ${namespace}/${fresh} to ${node}`))
      at(100, () => event('Pulled', 'Container image "docker.io/istio/examples-bookinfo-details-v1:1.20.3" already present on machine'))
      at(150, () => event('Created', 'Created container: details'))
      at(200, () => event('Started', 'Started container details'))
      at(300, () => {
        const current = this.objects<KubeObject>('Deployment').find((x) => x.metadata.namespace === namespace && x.metadata.name === d.metadata.name)
        if (current) this.fake.upsert({ ...current, status: { observedGeneration: current.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 } })
        const old = this.objects<PodObj>('Pod').find((p) => p.metadata.namespace === namespace && p.metadata.name.startsWith(`${d.metadata.name}-`))
        if (old) event('Killing', `Stopping container ${d.metadata.name.replace(/-v\d+$/, '')}`, old.metadata.name)
        this.rollingOut.delete(key)
      })
    }
  }
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/**
 * A stand-in program: curl hands its argv (NUL-separated) to the lab, whose answer is a few shell lines that print
 * the client's output and exit with its code. With the lab gone, it says what docker says without its daemon.
 */
function standIn(binDir: string, program: string, url: string): void {
  writeFileSync(join(binDir, program), [
    '#!/bin/sh',
    "command -v curl >/dev/null || { echo 'fake lab: the stand-in outside client needs curl (apt-get install curl)' >&2; exit 127; }",
    `answer=$(printf '%s\\0' ${program} "$@" | curl -sS --max-time 300 --data-binary @- ${shellQuote(url)}) || {`,
    "  echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2",
    '  exit 1',
    '}',
    'eval "$answer"',
    '',
  ].join('\n'))
  chmodSync(join(binDir, program), 0o755)
}

/** The lab's answer as the stand-in runs it. */
const answerScript = (a: OutsideAnswer) => `printf '%s' ${shellQuote(a.stdout)}\nprintf '%s' ${shellQuote(a.stderr)} >&2\nexit ${a.exitCode}\n`

/** Starts the fake API server with the whole lab at the open baseline, and the outside clients beside it. */
export async function startFakeLab(options: FakeLabOptions = {}): Promise<FakeLab> {
  const fake = await startFakeKube({ objects: fakeLabObjects(), version: 'v1.35.0' })
  const whisker = await startFakeWhisker()
  const bridge = attachPortForward(fake, { pods: [`calico-system/${WHISKER_POD}`], port: 8081, upstream: { host: '127.0.0.1', port: whisker.port } })
  const lab = new Lab(fake, options, new FakeFlowLogs(whisker, options.flowBucketSeconds ?? 15))
  fake.onExec((req) => lab.exec(req))
  const control: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      let answer: OutsideAnswer & { delayMs: number }
      try {
        answer = lab.outside(body.split('\0').slice(0, -1))
      } catch (error) {
        answer = { stdout: '', stderr: `fake lab: ${(error as Error).message}\n`, exitCode: 125, delayMs: 0 }
      }
      const timer = setTimeout(() => res.end(answerScript(answer)), answer.delayMs)
      res.on('close', () => clearTimeout(timer))
    })
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', () => resolve()))
  const binDir = join(options.dir ?? mkdtempSync(join(tmpdir(), 'fake-lab-')), 'bin')
  mkdirSync(binDir)
  const url = `http://127.0.0.1:${(control.address() as AddressInfo).port}/outside`
  standIn(binDir, 'docker', url)
  standIn(binDir, 'multipass', url)
  const controller = setInterval(() => lab.reconcile(), 50)
  controller.unref()
  return {
    fake,
    context: FAKE_LAB_CONTEXT,
    binDir,
    env: (kubeconfig) => ({ ...process.env, KUBECONFIG: kubeconfig, PATH: `${binDir}:${process.env.PATH ?? ''}`, DEMO_LAB: 'kind' }),
    override: (handler) => void (lab.override = handler),
    policies: () => (fake.objects() as KubeObject[]).filter((o) => o.apiVersion === 'projectcalico.org/v3' && o.metadata.namespace === LAB.namespace).map((o) => `${o.kind} ${o.metadata.name}`),
    whisker,
    async close() {
      clearInterval(controller)
      control.closeAllConnections()
      await new Promise<void>((resolve) => control.close(() => resolve()))
      bridge.detach()
      await whisker.close()
      await fake.close()
    },
  }
}
