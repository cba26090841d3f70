// npm run twin:bgp, run for real: BIRD 1.6 nodes and a BIRD 2 host1 in network namespaces. On the lab as it is,
// host1 must reach 198.19.48.10 only through the endpoint node, learn no pod block, and follow a moved endpoint;
// on the lab as it was before the fix (test/twin/cases/before-fix) the same run must fail, for the reasons the
// issue found (three next hops, the /24 aggregate, pod blocks). Needs root, Debian's bird and bird2 (unpacked into
// .tools/bird2 or $BIRD2_DIR): it fails, naming the package, when one is missing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { confdView } from '../../demo-server/src/bgp/confd.ts'
import { ownExports } from '../../demo-server/src/bgp/exports.ts'
import { NODE_NAMES, readTwinInputs, twinCluster } from '../../scripts/lib/bgp/cluster.ts'
import type { NodeName } from '../../scripts/lib/bgp/cluster.ts'
import { REPO_ROOT } from '../../scripts/lib/bgp/tools.ts'

interface Run {
  code: number | null
  pid: number
  stdout: string
  stderr: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lines: any[]
}

function twin(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/twin-bgp.ts'), ...args], { cwd: REPO_ROOT, env })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      resolve({ code, pid: child.pid!, stdout, stderr, lines })
    })
  })
}

/** Per node, the own routes the demo's expectation says it sends host1 (demo-server/src/bgp/exports.ts). */
function modelExports(manifests: string, scripts: string, endpoint: NodeName): Record<string, string[]> {
  const inputs = readTwinInputs(join(REPO_ROOT, manifests), join(REPO_ROOT, scripts))
  const cluster = twinCluster(inputs, endpoint)
  return Object.fromEntries(NODE_NAMES.map((n) => [n, ownExports(confdView(inputs.lab, cluster, n), inputs.constants.HOST1_IP!)]))
}

const leftovers = (pid: number) => (existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter((n) => n.startsWith(`bgptwin-${pid}-`)) : [])
const routeLines = (r: Run, phase: string) => r.lines.filter((l) => l.phase === phase && 'prefix' in l)
const advertised = (r: Run, phase: string) => Object.fromEntries(r.lines.filter((l) => l.phase === phase && 'advertises' in l).map((l) => [l.node, l.advertises]))

test('twin:bgp on the lab: host1 reaches 198.19.48.10 through the endpoint node alone, before and after a move', { timeout: 180_000 }, async () => {
  const r = await twin(['--from', 'node1', '--to', 'node2'])
  assert.equal(r.code, 0, `twin:bgp failed:\n${r.stderr}\n${r.stdout}`)
  assert.deepEqual(routeLines(r, 'initial'), [
    { prefix: '198.19.48.10/32', nextHops: ['198.19.0.2'], endpointNode: 'node1', ok: true, phase: 'initial' },
  ], 'host1 learns one route, the /32 via node1, and no pod block')
  assert.deepEqual(routeLines(r, 'moved'), [
    { prefix: '198.19.48.10/32', nextHops: ['198.19.0.3'], endpointNode: 'node2', ok: true, phase: 'moved' },
  ])
  assert.deepEqual(advertised(r, 'initial'), { control: [], node1: ['198.19.48.10/32'], node2: [] })
  assert.deepEqual(advertised(r, 'moved'), { control: [], node1: [], node2: ['198.19.48.10/32'] })
  // the demo's expectation (exports.ts, no BIRD) says the same as BIRD, before and after the move
  assert.deepEqual(advertised(r, 'initial'), modelExports('manifests', 'scripts', 'node1'))
  assert.deepEqual(advertised(r, 'moved'), modelExports('manifests', 'scripts', 'node2'))
  const moved = r.lines.find((l) => 'followedMs' in l)
  assert.equal(typeof moved.followedMs, 'number', 'the routes followed the endpoint')
  assert.ok(moved.followedMs >= 0 && moved.followedMs < 10_000, `followed in ${moved.followedMs} ms`)
  assert.deepEqual(r.lines.at(-1), { result: 'pass', failures: [] })
  assert.deepEqual(leftovers(r.pid), [], 'every namespace removed')
})

test('twin:bgp on the lab before the fix: fails, naming the three next hops, the aggregate and the pod blocks', { timeout: 180_000 }, async () => {
  const c = join('test/twin/cases/before-fix')
  const r = await twin(['--manifests', join(c, 'manifests'), '--scripts', join(c, 'scripts'), '--follow-ms', '2000'])
  assert.equal(r.code, 1, `expected the check to fail (exit 1):\n${r.stderr}\n${r.stdout}`)
  const all = ['198.19.0.1', '198.19.0.2', '198.19.0.3']
  const initial = routeLines(r, 'initial')
  assert.deepEqual(initial.find((l) => l.prefix === '198.19.48.10/32'), { prefix: '198.19.48.10/32', nextHops: all, endpointNode: 'node1', ok: false, phase: 'initial' })
  assert.deepEqual(initial.find((l) => l.prefix === '198.19.48.0/24')?.nextHops, all, 'every node advertises the aggregate')
  // what the model says each node sends of its own routes, BIRD sends too (BIRD adds what it relays)
  for (const [node, own] of Object.entries(modelExports(join(c, 'manifests'), join(c, 'scripts'), 'node1'))) {
    assert.ok(own.length > 0 && own.every((p) => advertised(r, 'initial')[node].includes(p)), `${node}: ${own.join(', ')} within ${advertised(r, 'initial')[node].join(', ')}`)
  }
  const podBlocks = initial.filter((l) => l.prefix.startsWith('198.19.16.'))
  assert.deepEqual(podBlocks.map((l) => l.prefix).sort(), ['198.19.16.0/26', '198.19.16.128/26', '198.19.16.64/26'])
  assert.ok(podBlocks.every((l) => l.ok === false))
  assert.equal(r.lines.find((l) => 'followedMs' in l).followedMs, null, 'never follows: the other nodes keep relaying with themselves as next hop')
  const result = r.lines.at(-1)
  assert.equal(result.result, 'fail')
  assert.ok(result.failures.some((f: string) => f.includes('198.19.48.10/32 leads to control, node1, node2, not to node1 alone')), result.failures.join('\n'))
  assert.deepEqual(leftovers(r.pid), [], 'every namespace removed after a failing run too')
})

test('twin:bgp without BIRD 2 stops with the package to install, and makes nothing', { timeout: 30_000 }, async () => {
  const r = await twin([], { ...process.env, BIRD2_DIR: '/nonexistent/bird2' })
  assert.equal(r.code, 2)
  assert.match(r.stderr, /BIRD 2 is missing .*apt-get download bird2 && dpkg-deb -x bird2_\*\.deb \/nonexistent\/bird2/)
  assert.equal(r.stdout, '')
  assert.deepEqual(leftovers(r.pid), [])
})

test('twin:bgp refuses bad arguments', { timeout: 30_000 }, async () => {
  const same = await twin(['--from', 'node1', '--to', 'node1'])
  assert.equal(same.code, 2)
  assert.match(same.stderr, /--from and --to must name different nodes/)
  const unknown = await twin(['--from', 'worker9'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /--from worker9: not one of control, node1, node2/)
})
