import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runHost } from './host.ts'
import type { HostAction } from '../catalog/types.ts'

const sink = () => {
  const out: string[] = []
  return { out, sink: { stdout: (t: string) => out.push(`1:${t}`), stderr: (t: string) => out.push(`2:${t}`), info: (t: string) => out.push(`i:${t}`) } }
}

test('a host program missing from the machine is a clear failure, not a crash', async () => {
  const action: HostAction = { id: 'h', title: 'h', kind: 'host', argv: { kind: ['docker', 'ps'], vms: ['multipass', 'exec', 'host1', '--', 'ip', 'route'] }, namespaces: [], timeoutMs: 1000 }
  const { sink: s } = sink()
  const outcome = await runHost({ ...action, argv: { ...action.argv, vms: ['multipass', 'no-such-subcommand-here'] } }, 'vms', s, new AbortController().signal)
  if (outcome.error?.kind === 'not-found') assert.match(outcome.error.message, /multipass is not installed on this machine/)
  else assert.equal(outcome.status, 'failed', 'multipass present: an unknown subcommand still fails')
})

test('a program outside the allow-list never starts', async () => {
  const action = { id: 'h', title: 'h', kind: 'host', argv: { kind: ['sh', '-c', 'echo pwned'], vms: ['sh'] }, namespaces: [], timeoutMs: 1000 } as unknown as HostAction
  const { out, sink: s } = sink()
  const outcome = await runHost(action, 'kind', s, new AbortController().signal)
  assert.equal(outcome.status, 'failed')
  assert.equal(outcome.error?.kind, 'invalid')
  assert.deepEqual(out, [])
})
