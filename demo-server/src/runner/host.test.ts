// Host steps on a PATH the test controls, so each case has one outcome whatever this machine has installed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runHost } from './host.ts'
import type { HostAction } from '../catalog/types.ts'
import type { Outcome } from './outcome.ts'

const action: HostAction = { id: 'h', title: 'h', kind: 'host', argv: { kind: ['docker', 'ps'], vms: ['multipass', 'exec', 'host1', '--', 'ip', 'route'] }, namespaces: [], timeoutMs: 1000 }

function collect() {
  const out: string[] = []
  return { out, sink: { stdout: (t: string) => out.push(`1:${t}`), stderr: (t: string) => out.push(`2:${t}`), info: (t: string) => out.push(`i:${t}`) } }
}

/**
 * Runs `fn` with PATH = the given stand-in programs (shell scripts) and nothing else of the host programs: only the
 * system folders for the scripts' own tools, or nothing at all when `bare`.
 */
async function withPath(programs: Record<string, string>, fn: () => Promise<Outcome>, bare = false): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'host-test-'))
  for (const [name, script] of Object.entries(programs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`)
    chmodSync(join(dir, name), 0o755)
  }
  const saved = process.env.PATH
  process.env.PATH = bare ? dir : `${dir}:/usr/bin:/bin`
  try {
    return await fn()
  } finally {
    process.env.PATH = saved
  }
}

test('a host program missing from the machine is a clear not-found failure, not a crash', async () => {
  const { out, sink } = collect()
  const outcome = await withPath({}, () => runHost(action, 'vms', sink, new AbortController().signal), true)
  assert.equal(outcome.status, 'failed')
  assert.equal(outcome.error?.kind, 'not-found')
  assert.match(outcome.error?.message ?? '', /multipass is not installed on this machine/)
  assert.deepEqual(out, [])
})

test('a host program that runs and fails reports its exit code and its output, stdout and stderr apart', async () => {
  const { out, sink } = collect()
  const outcome = await withPath({ multipass: 'echo "exec failed: instance host1 is not running" >&2; echo partial; exit 2' }, () => runHost(action, 'vms', sink, new AbortController().signal))
  assert.deepEqual([outcome.status, outcome.exitCode, outcome.error?.kind], ['failed', 2, 'exit-code'])
  assert.deepEqual(out.sort(), ['1:partial\n', '2:exec failed: instance host1 is not running\n'])
})

test('cancel kills the program', async () => {
  const controller = new AbortController()
  const { sink } = collect()
  const started = Date.now()
  const running = withPath({ docker: 'echo started; exec sleep 30' }, () => runHost(action, 'kind', sink, controller.signal))
  setTimeout(() => controller.abort(), 200)
  const outcome = await running
  assert.equal(outcome.status, 'cancelled')
  assert.ok(Date.now() - started < 5000, 'killed, not waited for')
})

test('a program outside the allow-list never starts', async () => {
  const bad = { ...action, argv: { kind: ['sh', '-c', 'echo pwned'], vms: ['sh'] } } as unknown as HostAction
  const { out, sink } = collect()
  const outcome = await runHost(bad, 'kind', sink, new AbortController().signal)
  assert.equal(outcome.status, 'failed')
  assert.equal(outcome.error?.kind, 'invalid')
  assert.deepEqual(out, [])
})
