// Probe commands and verdicts, on real outputs only: the team's capture of busybox wget / nslookup and curl under
// real network conditions (test/fixtures/probe-real-outputs.json), and what the live probes printed in the namespace
// test (test/fixtures/probe-netns-outputs.json). See test/fixtures/README.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  classifyProbe,
  curlProbeArgv,
  DEFAULT_CONTEXT,
  denyActionOf,
  dnsProbeArgv,
  failedProbe,
  IMAGE_PULL_REASONS,
  observe,
  reason,
  REASON_SAID,
  readyEndpointCount,
  tcpProbeArgv,
  VERDICT_OF,
} from './verdict.ts'
import type { ProbeContext, ProbeTool, Reason, ToolOutput, Verdict } from './verdict.ts'
import { REPO_ROOT } from '../repoRoot.ts'

const repo = REPO_ROOT
const REAL = join(repo, 'test/fixtures/probe-real-outputs.json')
const NETNS = join(repo, 'test/fixtures/probe-netns-outputs.json')

interface RealRow extends ToolOutput { env: string; cond: string; want: Verdict; ambiguous: boolean; ms: number }
interface NetnsRow extends ToolOutput { env: string; cond: string; command: string; context: ProbeContext; want: Verdict; reason: Reason }

const realRows = JSON.parse(readFileSync(REAL, 'utf8')) as RealRow[]
const netnsRows = JSON.parse(readFileSync(NETNS, 'utf8')) as NetnsRow[]

/**
 * The context the runner would have read for a captured condition: `reject` and `dns-reject` are kube-proxy's REJECT
 * for a Service without ready endpoints (the capture's README); every other condition has ready endpoints, and
 * Calico's default deny action, Drop.
 */
const contextOf = (cond: string): ProbeContext =>
  cond === 'reject' || cond === 'dns-reject' ? { readyEndpoints: false, denyAction: 'Drop' } : { readyEndpoints: true, denyAction: 'Drop' }

/** The output with addresses and times blanked: what a classifier could tell apart. */
const shape = (r: RealRow) =>
  JSON.stringify([r.tool, r.exitCode, contextOf(r.cond), ...[r.stdout, r.stderr].map((s) => s.replace(/\d+\.\d+\.\d+\.\d+/g, 'IP').replace(/\d+ (ms|milliseconds)/g, 'N $1').replace(/'[^']*'/g, "'NAME'"))])

test('every real output that can be told apart classifies to its want', () => {
  assert.equal(realRows.length, 64, 'the whole capture is here')
  const clear = realRows.filter((r) => !r.ambiguous)
  assert.equal(realRows.length - clear.length, 6, 'rows the capture marks ambiguous')
  const wantsByShape = new Map<string, Set<Verdict>>()
  for (const r of clear) wantsByShape.set(shape(r), (wantsByShape.get(shape(r)) ?? new Set()).add(r.want))

  const indistinguishable: string[] = []
  const verdictByShape = new Map<string, Verdict>()
  for (const r of clear) {
    const v = classifyProbe(r, contextOf(r.cond))
    const label = `${r.tool} ${r.env} ${r.cond}: ${JSON.stringify(r.stderr || r.stdout)} → ${v.verdict}/${v.reason}`
    const wants = wantsByShape.get(shape(r))!
    if (wants.size > 1) {
      // printed exactly like a row with another want, under the same context: one of the wants, the same for all
      indistinguishable.push(`${r.tool}/${r.env}/${r.cond}`)
      assert.ok(wants.has(v.verdict), label)
      assert.equal(verdictByShape.get(shape(r)) ?? v.verdict, v.verdict, label)
      verdictByShape.set(shape(r), v.verdict)
      continue
    }
    assert.equal(v.verdict, r.want, label)
  }
  // not marked ambiguous in the capture, yet printed byte for byte like another condition (test/fixtures/README.md)
  assert.deepEqual(indistinguishable.sort(), [
    'curl/curl7.88/nolistener', 'curl/curl7.88/prohibited', 'curl/curl8.14/nolistener', 'curl/curl8.14/prohibited',
    'wget/alpine/drop', 'wget/alpine/slow', 'wget/bb136/drop', 'wget/bb136/slow',
  ])
})

test('real outputs: the reasons the slide shows for the issue\'s rows', () => {
  const row = (tool: ProbeTool, env: string, cond: string) => {
    const r = realRows.find((x) => x.tool === tool && x.env === env && x.cond === cond)
    assert.ok(r, `${tool} ${env} ${cond} is in the capture`)
    return classifyProbe(r, contextOf(cond))
  }
  // a DNS outage under an HTTP probe by name: the name did not resolve (wget's -T does not cover the lookup)
  for (const env of ['bb136', 'alpine']) {
    assert.equal(row('wget', env, 'dns-dropped').reason, 'name-not-resolved')
    assert.equal(row('wget', env, 'dns-rejected').reason, 'name-not-resolved')
    assert.equal(row('wget', env, 'nxdomain').reason, 'name-not-resolved')
    assert.equal(row('wget', env, 'emptyreply').reason, 'connected')
    assert.equal(row('wget', env, 'nolistener').reason, 'nothing-listening')
    assert.equal(row('wget', env, 'reject').reason, 'no-endpoints')
    assert.equal(row('wget', env, 'prohibited').reason, 'rejected-on-path')
    assert.equal(row('dns', env, 'dns-drop').reason, 'dropped')
    assert.equal(row('dns', env, 'dns-ok').reason, 'answered')
  }
  for (const env of ['curl7.88', 'curl8.14']) {
    // the slow server: "Operation timed out … with 0 bytes received" is after the connect
    assert.deepEqual([row('curl', env, 'slow').verdict, row('curl', env, 'slow').reason], ['allowed', 'connected'])
    assert.deepEqual([row('curl', env, 'drop').verdict, row('curl', env, 'drop').reason], ['denied', 'dropped'])
    // curl ≥ 7.86 without -v: "Couldn't/Could not connect to server" follows the rule for refused
    assert.equal(row('curl', env, 'nolistener').reason, 'nothing-listening')
    assert.equal(row('curl', env, 'reject').reason, 'no-endpoints')
    assert.equal(row('curl', env, 'emptyreply').reason, 'connected')
    assert.equal(row('curl', env, 'forbidden').reason, 'connected')
  }
})

test('the live probes\' recorded outputs classify to their want under their context', () => {
  assert.ok(netnsRows.length >= 21)
  for (const r of netnsRows) {
    const v = classifyProbe(r, r.context)
    assert.deepEqual([v.verdict, v.reason], [r.want, r.reason], `${r.tool} ${r.cond}: ${r.command} → ${JSON.stringify(v)}`)
    assert.ok(v.evidence.length > 0, `${r.tool} ${r.cond}: the deciding line is kept`)
  }
  // the commands recorded are the builders' commands
  const byCond = (tool: string, cond: string) => netnsRows.find((r) => r.tool === tool && r.cond === cond)!
  assert.equal(byCond('nc', 'ok').command, tcpProbeArgv({ ip: '10.77.96.10', port: 9080 }, 2).join(' '))
  assert.equal(byCond('dns', 'dns-ok').command, dnsProbeArgv({ server: '10.77.96.53' }, 2).join(' '))
  assert.equal(byCond('curl', 'ok').command, curlProbeArgv('http://10.77.96.10:9080/', 2).join(' '))
})

test('ICMP rate limiting cannot flip a verdict: refused and timed out read alike wherever an ICMP reject may answer', () => {
  // the same condition, seen both ways in one burst (recorded in the namespace test): refused when the ICMP got
  // through, timed out when the kernel's rate limit swallowed it
  const pairs: Array<[ToolOutput, ToolOutput]> = [
    [byNetns('nc', 'reject-felix'), byNetns('nc', 'drop')],
    [byNetns('curl', 'reject-felix'), byNetns('curl', 'drop')],
    [byNetns('dns', 'dns-reject-felix'), byNetns('dns', 'dns-drop')],
    [byReal('wget', 'bb136', 'reject'), byReal('wget', 'bb136', 'drop')],
    [byReal('curl', 'curl8.14', 'reject'), byReal('curl', 'curl8.14', 'drop')],
    [byReal('dns', 'alpine', 'dns-reject'), byReal('dns', 'alpine', 'dns-drop')],
  ]
  for (const [refused, silent] of pairs) {
    assert.equal(observe(refused).observation, 'refused', refused.stderr)
    assert.equal(observe(silent).observation, 'timed-out', silent.stderr)
    for (const context of [{ readyEndpoints: false, denyAction: 'Drop' }, { readyEndpoints: false, denyAction: 'Reject' }, { readyEndpoints: true, denyAction: 'Reject' }] as const) {
      const a = classifyProbe(refused, context)
      const b = classifyProbe(silent, context)
      assert.deepEqual([a.verdict, a.reason], [b.verdict, b.reason], `${refused.tool} under ${JSON.stringify(context)}`)
      assert.notEqual(a.verdict, 'allowed')
    }
    // only where no ICMP reject sits on the path (ready endpoints, deny action Drop) does refused mean the target
    assert.equal(classifyProbe(refused, DEFAULT_CONTEXT).reason, 'nothing-listening')
    assert.equal(classifyProbe(silent, DEFAULT_CONTEXT).reason, 'dropped')
  }
})

test('a connection that was made is allowed whatever the context says', () => {
  for (const cond of ['ok', 'slow', 'emptyreply']) {
    for (const tool of ['nc', 'curl'] as const) {
      for (const context of [DEFAULT_CONTEXT, { readyEndpoints: false, denyAction: 'Reject' } as const]) {
        assert.equal(classifyProbe(byNetns(tool, cond), context).verdict, 'allowed', `${tool} ${cond}`)
      }
    }
  }
})

test('a DNS failure is never denied in a TCP cell; in the DNS column a drop is', () => {
  for (const r of realRows.filter((x) => x.tool === 'wget' && x.cond.startsWith('dns-'))) {
    for (const context of [DEFAULT_CONTEXT, { readyEndpoints: true, denyAction: 'Reject' } as const]) {
      assert.equal(classifyProbe(r, context).verdict, 'error', `${r.env} ${r.cond}`)
    }
  }
  assert.equal(classifyProbe(byNetns('dns', 'dns-drop')).verdict, 'denied')
  // an NXDOMAIN is an answer: the server was reached
  const nx = { tool: 'dns' as const, exitCode: 1, stdout: "Server:\t\t10.77.96.53\nAddress:\t10.77.96.53:53\n\n** server can't find nosuch.dev1.svc.cluster.local.: NXDOMAIN\n\n", stderr: '' }
  assert.equal(classifyProbe(nx).reason, 'answered')
})

test('curl: num_connects tells a slow server from a drop; -v names the errno curl ≥ 7.86 hides', () => {
  const slow = byNetns('curl', 'slow')
  assert.match(slow.stdout, /^000:1$/)
  assert.equal(classifyProbe(slow).reason, 'connected')
  assert.match(byNetns('curl', 'drop').stdout, /^000:0$/)
  const prohibited = byNetns('curl', 'prohibited')
  assert.match(prohibited.stderr, /Couldn't connect to server/)
  assert.equal(observe(prohibited).observation, 'unreachable')
  assert.equal(classifyProbe(prohibited).reason, 'rejected-on-path')
  // a resolver timeout is not a drop
  const resolving = { tool: 'curl' as const, exitCode: 28, stdout: '000:0', stderr: 'curl: (28) Resolving timed out after 2000 milliseconds\n' }
  assert.equal(classifyProbe(resolving).reason, 'name-not-resolved')
})

test('a missing or unsuitable tool, an exec failure and an image that did not pull are errors with their cause', () => {
  assert.equal(classifyProbe(byNetns('nc', 'nc-without-z')).reason, 'tool-missing')
  assert.equal(classifyProbe({ tool: 'nc', exitCode: 127, stdout: '', stderr: 'sh: nc: not found\n' }).reason, 'tool-missing')
  assert.equal(failedProbe('OCI runtime exec failed: exec failed: unable to start container process: exec: "nc": executable file not found in $PATH').reason, 'tool-missing')
  assert.equal(failedProbe('debug container reach-probe in details-v1 is waiting: ErrImagePull: failed to pull image "docker.io/library/busybox:1.36"').reason, 'image-not-pulled')
  assert.equal(failedProbe('error dialing backend: dial tcp 172.18.0.3:10250: connect: connection refused').reason, 'exec-failed')
  for (const reason of ['tool-missing', 'image-not-pulled', 'exec-failed', 'no-endpoints', 'rejected-on-path', 'name-not-resolved', 'not-understood', 'no-pod', 'no-service'] as const) {
    assert.equal(VERDICT_OF[reason], 'error')
  }
  // every image-pull reason the kubelet and the CRI give, as the debug container's wait reports them
  for (const waiting of IMAGE_PULL_REASONS) {
    assert.equal(failedProbe(`debug container reach-probe-2 in details-v1 cannot start, image not pulled — ${waiting}: …`).reason, 'image-not-pulled', waiting)
  }
  assert.equal(failedProbe('debug container reach-probe in details-v1 is not running after 60 s (ContainerCreating)').reason, 'exec-failed')
  const odd = classifyProbe({ tool: 'nc', exitCode: 3, stdout: '', stderr: 'something new\n' })
  assert.deepEqual([odd.verdict, odd.reason], ['error', 'not-understood'])
  assert.match(odd.detail, /something new/)
})

test('command builders: the argv that runs is the line on the slide; anything but an address, a port, whole seconds is refused', () => {
  assert.deepEqual(tcpProbeArgv({ ip: '10.96.12.7', port: 9080 }, 2), ['nc', '-vv', '-z', '-w', '2', '10.96.12.7', '9080'])
  assert.deepEqual(dnsProbeArgv({ server: '10.96.0.10' }, 2), ['nslookup', '-timeout=2', '-retry=2', 'kubernetes.default.svc.cluster.local.', '10.96.0.10'])
  assert.deepEqual(curlProbeArgv('http://198.19.48.10:80/', 2), ['curl', '-v', '-sS', '-o', '/dev/null', '-w', '%{http_code}:%{num_connects}', '--connect-timeout', '2', '--max-time', '2', 'http://198.19.48.10:80/'])
  assert.throws(() => tcpProbeArgv({ ip: 'details.dev1.svc.cluster.local', port: 9080 }, 2), /IPv4/)
  assert.throws(() => tcpProbeArgv({ ip: '10.96.0.1; reboot', port: 9080 }, 2), /IPv4/)
  assert.throws(() => tcpProbeArgv({ ip: '10.96.0.1', port: 0 }, 2), /port/)
  assert.throws(() => tcpProbeArgv({ ip: '10.96.0.1', port: 80 }, 0), /seconds/)
  assert.throws(() => tcpProbeArgv({ ip: '10.96.0.1', port: 80 }, 1.5), /seconds/)
  assert.throws(() => dnsProbeArgv({ server: '10.96.0.10', name: 'kubernetes.default' }, 2), /fully qualified/)
  assert.throws(() => curlProbeArgv('http://example.com/', 2), /http:\/\/<IPv4>/)
  assert.throws(() => curlProbeArgv('http://10.0.0.1:80/ -o /etc/passwd', 2))
  // an outside client leaving from its second address: only --interface <IPv4>, before the URL
  assert.deepEqual(curlProbeArgv('http://198.19.48.10:80/', 2, ['--interface', '198.19.14.254']).slice(-3), ['--interface', '198.19.14.254', 'http://198.19.48.10:80/'])
  assert.throws(() => curlProbeArgv('http://198.19.48.10:80/', 2, ['-o', '/etc/passwd']), /only --interface/)
})

test('every reason has words a presenter can say, and each says its verdict', () => {
  for (const r of reason.options) {
    const words = REASON_SAID[r]
    assert.ok(words.length > 5 && words.length <= 60, `${r}: "${words}"`)
    const v = VERDICT_OF[r]
    assert.match(words, v === 'allowed' ? /^allowed/ : v === 'denied' ? /^denied/ : /^not tested/, r)
  }
})

test('context from the API: ready endpoints per Service port, Felix deny action', () => {
  const slice = (ready: Array<boolean | null | undefined>, portName = 'http', terminating = false) => ({
    ports: [{ name: portName, port: 9080, protocol: 'TCP' }],
    endpoints: ready.map((r) => ({ conditions: { ready: r, terminating } })),
  })
  assert.equal(readyEndpointCount([], 'http'), 0)
  assert.equal(readyEndpointCount([slice([false, false])], 'http'), 0)
  assert.equal(readyEndpointCount([slice([true, false]), slice([null])], 'http'), 2, 'unset ready counts as ready')
  assert.equal(readyEndpointCount([slice([true], 'metrics')], 'http'), 0, 'another port')
  assert.equal(readyEndpointCount([slice([true], '')], ''), 1, 'an unnamed port')
  assert.equal(readyEndpointCount([slice([true], 'http', true)], 'http'), 0, 'terminating')
  assert.equal(readyEndpointCount([{ ports: null, endpoints: [{ conditions: { ready: true } }] }], 'http'), 1, 'a slice with no ports lists all')

  assert.equal(denyActionOf(undefined), 'Drop')
  assert.equal(denyActionOf({}), 'Drop')
  assert.equal(denyActionOf({ iptablesFilterDenyAction: 'Reject' }), 'Reject')
  assert.equal(denyActionOf({ iptablesFilterDenyAction: 'REJECT', nftablesMode: 'Enabled' }), 'Drop', 'nftables mode reads the nftables field')
  assert.equal(denyActionOf({ nftablesFilterDenyAction: 'Reject', nftablesMode: 'Enabled' }), 'Reject')
  assert.equal(denyActionOf({ nftablesFilterDenyAction: 'Reject', nftablesMode: 'Auto' }), 'Reject')
})

// ---- npm run --silent probe:classify -- FILE.json --------------------------------------------------------------

function classifyCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [join(repo, 'scripts/probe-classify.ts'), ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? Number((error as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr })
    })
  })
}

test('probe:classify replays a file of recorded outputs: one {verdict, reason} line per element', async () => {
  const r = await classifyCli([REAL])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.equal(lines.length, realRows.length)
  for (const [i, line] of lines.entries()) {
    assert.deepEqual(Object.keys(line), ['verdict', 'reason'])
    const v = classifyProbe(realRows[i]!)
    assert.deepEqual(line, { verdict: v.verdict, reason: v.reason })
  }
  // an element's own context is used (the namespace capture carries one)
  const netns = await classifyCli(['--detail', NETNS])
  assert.equal(netns.code, 0, netns.stderr)
  const got = netns.stdout.trim().split('\n').map((l) => JSON.parse(l) as { verdict: string; reason: string; detail: string })
  assert.deepEqual(got.map((g) => g.reason), netnsRows.map((x) => x.reason))
  assert.ok(got.every((g) => g.detail.length > 0))
})

test('probe:classify: exit 2 with a clear message on invalid input, nothing on stdout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-classify-'))
  try {
    const file = (name: string, text: string) => {
      const path = join(dir, name)
      writeFileSync(path, text)
      return path
    }
    const cases: Array<[string[], RegExp]> = [
      [[file('bad-json.json', '[{')], /not JSON/],
      [[file('not-array.json', '{"tool":"nc"}')], /expected array/i],
      [[file('bad-tool.json', '[{"tool":"ping","exitCode":0,"stdout":"","stderr":""}]')], /\[0\]\.tool/],
      [[file('no-exit.json', '[{"tool":"nc","stdout":"","stderr":""}]')], /\[0\]\.exitCode/],
      [[file('bad-context.json', '[{"tool":"nc","exitCode":1,"stdout":"","stderr":"","context":{"denyAction":"Maybe"}}]')], /\[0\]\.context\.denyAction/],
      [[join(dir, 'missing.json')], /cannot read/],
      [[], /expected one FILE\.json/],
      [['--verbose', REAL], /Unknown option/],
    ]
    for (const [args, message] of cases) {
      const r = await classifyCli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.equal(r.stdout, '')
    }
    const empty = await classifyCli([file('empty.json', '[]')])
    assert.deepEqual([empty.code, empty.stdout], [0, ''])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

function byNetns(tool: ProbeTool, cond: string): ToolOutput {
  const r = netnsRows.find((x) => x.tool === tool && x.cond === cond)
  assert.ok(r, `${tool} ${cond} recorded`)
  return { tool: r.tool, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
}

function byReal(tool: ProbeTool, env: string, cond: string): ToolOutput {
  const r = realRows.find((x) => x.tool === tool && x.env === env && x.cond === cond)
  assert.ok(r, `${tool} ${env} ${cond} in the capture`)
  return { tool: r.tool, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
}
