// The probe tests' network: a pod, a node and the servers, each a network namespace, joined by veth pairs.
//
//   pod 10.77.1.2 ── 10.77.1.1 router 10.77.2.1 ── 10.77.2.2 (listeners), 10.77.2.53 (dnsmasq as CoreDNS)
//
// The router plays kube-proxy and Calico with iptables: each "ClusterIP" (10.77.96.x) is DNAT-ed to a backend the way
// kube-proxy does it, a Service with no endpoints gets kube-proxy's REJECT (icmp-port-unreachable), and Calico's deny
// is a DROP, or a REJECT (icmp-port-unreachable, what Felix renders when its deny action is Reject). The pod has a
// pod's resolv.conf (search path, ndots:5, the DNS ClusterIP): `ip netns exec` bind-mounts
// /etc/netns/<ns>/resolv.conf over /etc/resolv.conf. Every address lives inside these namespaces only.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { withNetLab } from '../../scripts/lib/netns.ts'
import { busyboxNcBinary } from '../../scripts/lib/tools.ts'
import type { ExecResult, NetLab } from '../../scripts/lib/netns.ts'

const here = dirname(fileURLToPath(import.meta.url))

/** Where scripts/lib/busybox-nc.sh puts busybox with the image's nc (-z, -v). */
export const BUSYBOX_NC = busyboxNcBinary()

export const POD_IP = '10.77.1.2'
export const BACKEND_IP = '10.77.2.2'
export const DNS_BACKEND_IP = '10.77.2.53'

/** The "Services": ClusterIP, port, backend port (undefined: no endpoints) and what the node does to their traffic. */
export const SERVICES = {
  ok: { ip: '10.77.96.10', port: 9080, backend: 9080 },
  slow: { ip: '10.77.96.11', port: 9080, backend: 9081 },
  close: { ip: '10.77.96.12', port: 9080, backend: 9082 },
  nolistener: { ip: '10.77.96.13', port: 9080, backend: 9083 },
  drop: { ip: '10.77.96.14', port: 9080, backend: 9080, filter: 'DROP' },
  felixReject: { ip: '10.77.96.15', port: 9080, backend: 9080, filter: 'REJECT --reject-with icmp-port-unreachable' },
  noEndpoints: { ip: '10.77.96.16', port: 9080, backend: undefined, filter: 'REJECT --reject-with icmp-port-unreachable' },
  prohibited: { ip: '10.77.96.17', port: 9080, backend: 9080, filter: 'REJECT --reject-with icmp-admin-prohibited' },
} as const

export const DNS_SERVICES = {
  ok: { ip: '10.77.96.53', backend: 53 },
  drop: { ip: '10.77.96.54', backend: 53, filter: 'DROP' },
  felixReject: { ip: '10.77.96.55', backend: 53, filter: 'REJECT --reject-with icmp-port-unreachable' },
  noEndpoints: { ip: '10.77.96.56', backend: undefined, filter: 'REJECT --reject-with icmp-port-unreachable' },
} as const

/** The DNS server the pod's resolv.conf names: the dropped one, so any lookup a TCP probe made would hang. */
export const RESOLV_CONF_NAMESERVER = DNS_SERVICES.drop.ip

/** What the listeners answer with: the address dnsmasq gives kubernetes.default.svc.cluster.local. */
export const KUBERNETES_SERVICE_IP = '10.77.96.1'

interface Need {
  what: string
  ok: () => boolean
  fix: string
}

const onPath = (program: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const NEEDS: Need[] = [
  { what: 'iptables', ok: () => onPath('iptables-restore'), fix: 'apt-get install iptables' },
  { what: 'dnsmasq', ok: () => onPath('dnsmasq'), fix: 'apt-get install dnsmasq' },
  { what: 'busybox (nslookup, timeout, sleep)', ok: () => onPath('busybox'), fix: 'apt-get install busybox' },
  { what: 'curl', ok: () => onPath('curl'), fix: 'apt-get install curl' },
  { what: 'unshare and nsenter', ok: () => onPath('unshare') && onPath('nsenter'), fix: 'apt-get install util-linux' },
  {
    what: `busybox with the image's nc (-z, -v) at ${BUSYBOX_NC}`,
    ok: () => existsSync(BUSYBOX_NC),
    fix: "npm run test:tools (Debian's busybox package builds nc without -z and -v: scripts/lib/busybox-nc.sh builds it from Debian's busybox source package, with dpkg-dev gcc make bzip2 xz-utils)",
  },
]

/** One line per missing tool, naming the package or the step that brings it. */
export function missingTools(): string[] {
  return NEEDS.filter((n) => !n.ok()).map((n) => `${n.what} is missing: ${n.fix}`)
}

export interface ProbeLab {
  lab: NetLab
  pod: string
  router: string
  server: string
  /** runs argv in the pod namespace with the probe tools first on PATH (nc: busybox-nc; nslookup: Debian's busybox) */
  run: (argv: readonly string[], options?: { timeoutMs?: number }) => Promise<ExecResult>
  /** dnsmasq's query log so far: "A kubernetes.default.svc.cluster.local", … */
  dnsQueries: () => string[]
  busybox: string
  env: NodeJS.ProcessEnv
}

function iptablesRules(): string {
  const nat: string[] = []
  const filter: string[] = []
  for (const s of Object.values(SERVICES)) {
    if (s.backend !== undefined) nat.push(`-A PREROUTING -d ${s.ip}/32 -p tcp --dport ${s.port} -j DNAT --to-destination ${BACKEND_IP}:${s.backend}`)
    if ('filter' in s) filter.push(s.backend === undefined ? `-A FORWARD -d ${s.ip}/32 -p tcp --dport ${s.port} -j ${s.filter}` : `-A FORWARD -m conntrack --ctorigdst ${s.ip} -j ${s.filter}`)
  }
  for (const s of Object.values(DNS_SERVICES)) {
    if (s.backend !== undefined) nat.push(`-A PREROUTING -d ${s.ip}/32 -p udp --dport 53 -j DNAT --to-destination ${DNS_BACKEND_IP}:${s.backend}`)
    if ('filter' in s) filter.push(s.backend === undefined ? `-A FORWARD -d ${s.ip}/32 -p udp --dport 53 -j ${s.filter}` : `-A FORWARD -m conntrack --ctorigdst ${s.ip} -j ${s.filter}`)
  }
  return ['*nat', ':PREROUTING ACCEPT [0:0]', ...nat, 'COMMIT', '*filter', ':FORWARD ACCEPT [0:0]', ...filter, 'COMMIT', ''].join('\n')
}

async function must(lab: NetLab, ns: string, argv: readonly string[]): Promise<void> {
  const r = await lab.exec(ns, argv)
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} in ${ns} failed (${r.exitCode ?? r.signal}): ${r.stderr.trim()}`)
}

function waitForLine(child: import('node:child_process').ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms: ${seen.slice(-500)}`)), ms)
    child[stream]?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (re.test(seen)) {
        clearTimeout(timer)
        resolvePromise()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited (${code}) before it was ready: ${seen.slice(-500)}`))
    })
  })
}

/** /etc/netns/probes-<pid>-* left by a run that was killed outright (its namespaces are swept by netns.ts). */
function sweepStaleEtc(): void {
  if (!existsSync('/etc/netns')) return
  for (const name of readdirSync('/etc/netns')) {
    const pid = Number(/^probes-(\d+)-/.exec(name)?.[1] ?? 0)
    if (!pid || pid === process.pid) continue
    try {
      process.kill(pid, 0)
    } catch {
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true })
    }
  }
}

/** Builds the network, runs `fn`, and removes everything (namespaces, processes, /etc/netns files, temp dirs). */
export async function withProbeLab<R>(fn: (p: ProbeLab) => Promise<R>): Promise<R> {
  const missing = missingTools()
  if (missing.length > 0) throw new Error(`the probe tests need:\n  ${missing.join('\n  ')}`)
  sweepStaleEtc()
  return withNetLab('probes', async (lab) => {
    const scratch = mkdtempSync(join(tmpdir(), 'probes-'))
    const etcDirs: string[] = []
    const removeFiles = () => {
      for (const d of etcDirs) rmSync(d, { recursive: true, force: true })
      rmSync(scratch, { recursive: true, force: true })
    }
    process.once('exit', removeFiles)
    try {
      const pod = await lab.ns('pod')
      const router = await lab.ns('node')
      const server = await lab.ns('server')
      await lab.link({ ns: pod, ifname: 'eth0', addr: `${POD_IP}/24` }, { ns: router, ifname: 'eth0', addr: '10.77.1.1/24' })
      await lab.link({ ns: router, ifname: 'eth1', addr: '10.77.2.1/24' }, { ns: server, ifname: 'eth0', addr: `${BACKEND_IP}/24` })
      await must(lab, server, ['ip', 'addr', 'add', `${DNS_BACKEND_IP}/24`, 'dev', 'eth0'])
      await must(lab, pod, ['ip', 'route', 'add', 'default', 'via', '10.77.1.1'])
      await must(lab, server, ['ip', 'route', 'add', 'default', 'via', '10.77.2.1'])
      await lab.sysctl(router, 'net.ipv4.ip_forward', 1)
      // ClusterIPs without a DNAT (no endpoints) must reach FORWARD, where kube-proxy's REJECT sits
      await must(lab, router, ['ip', 'route', 'add', '10.77.96.0/24', 'via', BACKEND_IP])
      const rules = join(scratch, 'rules')
      writeFileSync(rules, iptablesRules())
      await must(lab, router, ['iptables-restore', rules])

      // a pod's resolv.conf
      const etc = `/etc/netns/${pod}`
      mkdirSync(etc, { recursive: true })
      etcDirs.push(etc)
      writeFileSync(join(etc, 'resolv.conf'), `search dev1.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${RESOLV_CONF_NAMESERVER}\noptions ndots:5\n`)

      // the probe tools, by the names the command builders use
      const bin = join(scratch, 'bin')
      mkdirSync(bin)
      const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim()
      symlinkSync(BUSYBOX_NC, join(bin, 'nc'))
      for (const applet of ['nslookup', 'timeout', 'sleep']) symlinkSync(busybox, join(bin, applet))
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` }

      const servers = lab.spawn(server, [process.execPath, join(here, 'probeServers.ts'),
        `${BACKEND_IP}:9080:http`, `${BACKEND_IP}:9081:slow`, `${BACKEND_IP}:9082:close`])
      const serversReady = waitForLine(servers, 'stdout', /^ready$/m, 'the listeners')
      const dnsmasq = lab.spawn(server, ['dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
        '--bind-interfaces', `--listen-address=${DNS_BACKEND_IP}`, '--user=root', '--pid-file=', '--log-queries', '--log-facility=-',
        // like CoreDNS: authoritative for the cluster domain (NXDOMAIN for unknown names, NODATA for the AAAA)
        '--local=/cluster.local/', `--host-record=kubernetes.default.svc.cluster.local,${KUBERNETES_SERVICE_IP}`])
      let dnsLog = ''
      dnsmasq.stderr?.on('data', (chunk: Buffer) => { dnsLog += chunk.toString() })
      await Promise.all([serversReady, waitForLine(dnsmasq, 'stderr', /started, version/, 'dnsmasq')])

      return await fn({
        lab, pod, router, server, busybox, env,
        run: (argv, options = {}) => lab.exec(pod, argv, { env, timeoutMs: options.timeoutMs ?? 20_000 }),
        dnsQueries: () => [...dnsLog.matchAll(/query\[(\w+)\] (\S+) from/g)].map((m) => `${m[1]} ${m[2]}`),
      })
    } finally {
      removeFiles()
      process.off('exit', removeFiles)
    }
  })
}
