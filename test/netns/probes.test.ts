// The matrix's probes, run for real: busybox nc and nslookup, curl, in a "pod" network namespace, through a "node"
// where iptables plays kube-proxy (ClusterIP DNAT, REJECT for a Service without endpoints) and Calico (DROP, or
// REJECT when Felix's deny action is Reject), to real listeners and dnsmasq as CoreDNS. Each command comes from the
// matrix's own builders and each output goes through its own classifier: the verdicts below are what the slide shows.
//
// Timings are printed (diagnostics), never asserted: the bench owns speed.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import {
  classifyProbe,
  curlProbeArgv,
  dnsProbeArgv,
  DNS_PROBE_NAME,
  observe,
  tcpProbeArgv,
} from '../../demo-server/src/matrix/verdict.ts'
import type { ProbeContext, ProbeTool, ProbeVerdict, Reason, Verdict } from '../../demo-server/src/matrix/verdict.ts'
import type { ExecResult } from '../../scripts/lib/netns.ts'
import { DNS_SERVICES, RESOLV_CONF_NAMESERVER, SERVICES, withProbeLab } from './probeLab.ts'
import type { ProbeLab } from './probeLab.ts'

/** The matrix's probe timeout, in seconds. */
const T = 2

const READY_DROP: ProbeContext = { readyEndpoints: true, denyAction: 'Drop', timeoutSeconds: T }
const READY_REJECT: ProbeContext = { ...READY_DROP, denyAction: 'Reject' }
const NO_ENDPOINTS: ProbeContext = { ...READY_DROP, readyEndpoints: false }

type Service = (typeof SERVICES)[keyof typeof SERVICES]
type Expect = readonly [Verdict, Reason]

interface TcpCase {
  condition: string
  service: Service
  context: ProbeContext
  nc: Expect
  curl: Expect
}

// The issue's table, and the conditions around it. One row, one verdict per tool.
const TCP_CASES: TcpCase[] = [
  { condition: 'open port (HTTP 200)', service: SERVICES.ok, context: READY_DROP, nc: ['allowed', 'connected'], curl: ['allowed', 'connected'] },
  { condition: 'slow server: accepts at once, answers after 5 s', service: SERVICES.slow, context: READY_DROP, nc: ['allowed', 'connected'], curl: ['allowed', 'connected'] },
  { condition: 'accepts, closes without a reply', service: SERVICES.close, context: READY_DROP, nc: ['allowed', 'connected'], curl: ['allowed', 'connected'] },
  { condition: 'nothing listening (RST from the target)', service: SERVICES.nolistener, context: READY_DROP, nc: ['allowed', 'nothing-listening'], curl: ['allowed', 'nothing-listening'] },
  { condition: 'Calico deny, action Drop', service: SERVICES.drop, context: READY_DROP, nc: ['denied', 'dropped'], curl: ['denied', 'dropped'] },
  { condition: 'Calico deny, action Reject (ICMP port-unreachable)', service: SERVICES.felixReject, context: READY_REJECT, nc: ['denied', 'rejected'], curl: ['denied', 'rejected'] },
  { condition: 'Service without ready endpoints: kube-proxy REJECT', service: SERVICES.noEndpoints, context: NO_ENDPOINTS, nc: ['error', 'no-endpoints'], curl: ['error', 'no-endpoints'] },
  { condition: 'ICMP admin-prohibited on the path', service: SERVICES.prohibited, context: READY_DROP, nc: ['error', 'rejected-on-path'], curl: ['error', 'rejected-on-path'] },
]

type DnsService = (typeof DNS_SERVICES)[keyof typeof DNS_SERVICES]
const DNS_CASES: Array<{ condition: string; service: DnsService; context: ProbeContext; dns: Expect }> = [
  { condition: 'CoreDNS answering', service: DNS_SERVICES.ok, context: READY_DROP, dns: ['allowed', 'answered'] },
  { condition: 'DNS packets dropped (Calico deny, action Drop)', service: DNS_SERVICES.drop, context: READY_DROP, dns: ['denied', 'dropped'] },
  { condition: 'DNS rejected (Calico deny, action Reject)', service: DNS_SERVICES.felixReject, context: READY_REJECT, dns: ['denied', 'rejected'] },
  { condition: 'kube-dns without ready endpoints: kube-proxy REJECT', service: DNS_SERVICES.noEndpoints, context: NO_ENDPOINTS, dns: ['error', 'no-endpoints'] },
]

interface Timing {
  condition: string
  tool: ProbeTool
  ms: number
  verdict: string
}

const outputOf = (tool: ProbeTool, r: ExecResult) => {
  assert.notEqual(r.exitCode, undefined, `${tool} did not exit by itself (${r.signal ?? 'no status'}): ${r.stderr}`)
  return { tool, exitCode: r.exitCode!, stdout: r.stdout, stderr: r.stderr }
}

async function probe(p: ProbeLab, tool: ProbeTool, argv: string[], context: ProbeContext): Promise<{ v: ProbeVerdict; r: ExecResult }> {
  const r = await p.run(argv)
  return { v: classifyProbe(outputOf(tool, r), context), r }
}

const show = (v: ProbeVerdict, r: ExecResult) => `${v.verdict}/${v.reason} after ${r.ms} ms — exit ${r.exitCode}, ${JSON.stringify((r.stdout + r.stderr).trim().slice(0, 400))}`

/** Children of `pid` that are zombies (state Z), from /proc. */
function zombieChildren(pid: number): number {
  let n = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
      try {
        // "pid (comm) S …": the state follows the last ')'
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8')
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) n++
      } catch {
        // reaped meanwhile
      }
    }
  }
  return n
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('probes in network namespaces: real nc, nslookup and curl, one verdict per condition', async (t: TestContext) => {
  const timings: Timing[] = []
  await withProbeLab(async (p) => {
    const resolv = await p.lab.exec(p.pod, ['cat', '/etc/resolv.conf'])
    assert.match(resolv.stdout, /options ndots:5/, 'the pod namespace sees a pod resolv.conf')
    assert.match(resolv.stdout, new RegExp(`nameserver ${RESOLV_CONF_NAMESERVER.replaceAll('.', '\\.')}`))

    // one probe at a time: a fresh ICMP budget for each (the bursts below exhaust it on purpose)
    for (const c of TCP_CASES) {
      await t.test(`TCP · ${c.condition}`, async () => {
        const nc = await probe(p, 'nc', tcpProbeArgv(c.service, T), c.context)
        timings.push({ condition: c.condition, tool: 'nc', ms: nc.r.ms, verdict: `${nc.v.verdict}/${nc.v.reason}` })
        assert.deepEqual([nc.v.verdict, nc.v.reason], c.nc, `nc: ${show(nc.v, nc.r)}`)
        const curl = await probe(p, 'curl', curlProbeArgv(`http://${c.service.ip}:${c.service.port}/`, T), c.context)
        timings.push({ condition: c.condition, tool: 'curl', ms: curl.r.ms, verdict: `${curl.v.verdict}/${curl.v.reason}` })
        assert.deepEqual([curl.v.verdict, curl.v.reason], c.curl, `curl: ${show(curl.v, curl.r)}`)
      })
    }

    await t.test('TCP probes by ClusterIP make no DNS query, and finish while the DNS server in resolv.conf drops', async () => {
      const before = p.dnsQueries().length
      const r = await p.run(tcpProbeArgv(SERVICES.ok, T))
      assert.equal(classifyProbe(outputOf('nc', r), READY_DROP).reason, 'connected')
      assert.ok(r.ms < T * 1000, `a lookup through the dropped DNS server would have hung: ${r.ms} ms`)
      assert.equal(p.dnsQueries().length, before)
    })

    for (const c of DNS_CASES) {
      await t.test(`DNS · ${c.condition}`, async () => {
        const dns = await probe(p, 'dns', dnsProbeArgv({ server: c.service.ip }, T), c.context)
        timings.push({ condition: c.condition, tool: 'dns', ms: dns.r.ms, verdict: `${dns.v.verdict}/${dns.v.reason}` })
        assert.deepEqual([dns.v.verdict, dns.v.reason], c.dns, `nslookup: ${show(dns.v, dns.r)}`)
        // nslookup's own -timeout bounds it: it ends by itself, with its own words, within the timeout
        assert.ok(dns.r.ms < (T + 1) * 1000, `nslookup took ${dns.r.ms} ms`)
      })
    }

    await t.test('the DNS column asks for the fully qualified name only: no search-list queries under ndots:5', () => {
      const asked = p.dnsQueries()
      const name = DNS_PROBE_NAME.slice(0, -1)
      // one DNS probe reached dnsmasq (the others were dropped or rejected on the node): its A and AAAA, nothing else
      assert.deepEqual(asked.sort(), [`A ${name}`, `AAAA ${name}`])
    })

    // ICMP is rate-limited per destination: a burst of probes at a REJECT sees "refused" for some and nothing for
    // the others. The raw outcomes may split; the verdict may not.
    const bursts: Array<{ name: string; tool: ProbeTool; argv: string[]; context: ProbeContext; want: Expect }> = [
      { name: "kube-proxy's REJECT (no endpoints), 12 × nc", tool: 'nc', argv: tcpProbeArgv(SERVICES.noEndpoints, T), context: NO_ENDPOINTS, want: ['error', 'no-endpoints'] },
      { name: "Felix's REJECT (deny action Reject), 12 × nc", tool: 'nc', argv: tcpProbeArgv(SERVICES.felixReject, T), context: READY_REJECT, want: ['denied', 'rejected'] },
      { name: "Felix's REJECT (deny action Reject), 12 × curl", tool: 'curl', argv: curlProbeArgv(`http://${SERVICES.felixReject.ip}:9080/`, T), context: READY_REJECT, want: ['denied', 'rejected'] },
      { name: "kube-proxy's REJECT for kube-dns, 12 × nslookup", tool: 'dns', argv: dnsProbeArgv({ server: DNS_SERVICES.noEndpoints.ip }, T), context: NO_ENDPOINTS, want: ['error', 'no-endpoints'] },
    ]
    for (const b of bursts) {
      await t.test(`burst · ${b.name}: one verdict for all`, async (st) => {
        const runs = await Promise.all(Array.from({ length: 12 }, () => p.run(b.argv)))
        const raw = new Map<string, number>()
        for (const r of runs) {
          const o = observe(outputOf(b.tool, r)).observation
          raw.set(o, (raw.get(o) ?? 0) + 1)
        }
        const verdicts = runs.map((r) => classifyProbe(outputOf(b.tool, r), b.context))
        st.diagnostic(`${b.name}: raw ${[...raw].map(([k, n]) => `${n} ${k}`).join(', ')}; ${Math.min(...runs.map((r) => r.ms))}–${Math.max(...runs.map((r) => r.ms))} ms`)
        for (const [i, v] of verdicts.entries()) assert.deepEqual([v.verdict, v.reason], b.want, `probe ${i}: ${show(v, runs[i]!)}`)
      })
    }

    await t.test('no zombies: the probes fork nothing, while `timeout` leaves one under a PID 1 that never reaps', async () => {
      // a container's PID namespace whose PID 1 is `sleep` (the debug container's command), in the pod's network
      const holder = p.lab.spawn(p.pod, ['unshare', '--pid', '--fork', '--kill-child', p.busybox, 'sleep', '600'])
      let init = 0
      for (let i = 0; i < 50 && !init; i++) {
        await sleep(50)
        const kids = readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(' ').filter(Boolean)
        init = Number(kids[0] ?? 0)
      }
      assert.ok(init > 0, 'the PID namespace started')
      const inPod = (argv: readonly string[]) => p.lab.exec(p.pod, ['nsenter', '--target', String(init), '--pid', '--', ...argv], { env: p.env, timeoutMs: 20_000 })

      for (const argv of [tcpProbeArgv(SERVICES.ok, T), tcpProbeArgv(SERVICES.nolistener, T), tcpProbeArgv(SERVICES.drop, T),
        dnsProbeArgv({ server: DNS_SERVICES.ok.ip }, T), dnsProbeArgv({ server: DNS_SERVICES.drop.ip }, T)]) {
        const r = await inPod(argv)
        assert.notEqual(r.exitCode, undefined, `${argv.join(' ')}: ${r.stderr}`)
      }
      await sleep(1500)
      assert.equal(zombieChildren(init), 0, 'nc and nslookup leave no process behind')

      // the control: the earlier probe shape, wrapped in busybox `timeout`, does leave one
      const wrapped = await inPod(['timeout', String(T + 1), ...tcpProbeArgv(SERVICES.ok, T)])
      assert.equal(wrapped.exitCode, 0, wrapped.stderr)
      await sleep(1500)
      assert.equal(zombieChildren(init), 1, "busybox timeout's watcher is reparented to PID 1 and never reaped")
    })
  })

  const width = Math.max(...timings.map((x) => x.condition.length))
  t.diagnostic(`probe timings (T = ${T} s; noisy: shared CPUs):\n${timings.map((x) => `  ${x.condition.padEnd(width)}  ${x.tool.padEnd(4)} ${String(x.ms).padStart(5)} ms  ${x.verdict}`).join('\n')}`)
})
