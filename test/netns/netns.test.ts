// The network-namespace library the routing twin and the probe tests stand on: namespaces and veth pairs are
// really made, traffic really crosses them, and nothing is left behind — after a throw too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { NetLab, withNetLab } from '../../scripts/lib/netns.ts'

test('two namespaces joined by a veth pair talk; both are gone afterwards', async () => {
  let made: readonly string[] = []
  await withNetLab('nstest', async (lab) => {
    const a = await lab.ns('a')
    const b = await lab.ns('b')
    await lab.link({ ns: a, ifname: 'eth0', addr: '10.255.0.1/30' }, { ns: b, ifname: 'eth0', addr: '10.255.0.2/30' })
    const ping = await lab.exec(a, ['busybox', 'ping', '-c', '1', '-W', '2', '10.255.0.2'])
    assert.equal(ping.exitCode, 0, ping.stdout + ping.stderr)
    const routes = await lab.exec(b, ['ip', '-4', 'route'])
    assert.match(routes.stdout, /10\.255\.0\.0\/30 dev eth0/)
    made = lab.made
  })
  assert.equal(made.length, 2)
  for (const ns of made) assert.equal(existsSync(`/var/run/netns/${ns}`), false, `${ns} removed`)
})

test('a throw inside the callback still removes namespaces and kills spawned processes', async () => {
  let made: readonly string[] = []
  let pid = 0
  await assert.rejects(
    withNetLab('nstest', async (lab) => {
      const a = await lab.ns('x')
      pid = lab.spawn(a, ['sleep', '600']).pid ?? 0
      made = lab.made
      throw new Error('boom')
    }),
    /boom/,
  )
  assert.equal(existsSync(`/var/run/netns/${made[0]}`), false)
  await new Promise((r) => setTimeout(r, 100))
  assert.throws(() => process.kill(pid, 0), 'the spawned process is gone')
})

test('exec reports exit codes and a kill by timeout', async () => {
  const lab = new NetLab('nstest')
  try {
    const ns = await lab.ns('e')
    assert.equal((await lab.exec(ns, ['sh', '-c', 'exit 3'])).exitCode, 3)
    const slow = await lab.exec(ns, ['sleep', '5'], { timeoutMs: 200 })
    assert.equal(slow.exitCode, undefined)
    assert.equal(slow.signal, 'SIGKILL')
  } finally {
    await lab.cleanup()
  }
  assert.deepEqual(lab.made, [])
})
