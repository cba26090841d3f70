// `reach` as a user runs it: a child process, its exit code, its stdout JSON and its stderr.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

const ROOT = join(import.meta.dirname, '../../..')
const SCRIPT = join(ROOT, 'scripts/reach.ts')
const CASE = join(ROOT, 'test/reach-cases/k8s-08-and-within-peer-or-across-peers.json')

function reach(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const tmp = mkdtempSync(join(tmpdir(), 'reach-cli-'))
after(() => rmSync(tmp, { recursive: true, force: true }))
function caseFile(name: string, content: unknown): string {
  const path = join(tmp, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}
const original = JSON.parse(readFileSync(CASE, 'utf8')) as Record<string, unknown> & { expected: boolean[]; probes: object[] }

describe('reach CASE.json', () => {
  it('prints one result per probe, in probe order, with exactly the contract fields, and exits 0', () => {
    const r = reach(CASE)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    const out = JSON.parse(r.stdout) as { results: Record<string, unknown>[]; mismatches: unknown[] }
    assert.deepEqual(Object.keys(out), ['results', 'mismatches'])
    assert.equal(out.results.length, original.probes.length)
    for (const [i, res] of out.results.entries()) {
      assert.deepEqual(Object.keys(res), ['from', 'to', 'port', 'protocol', 'allowed', 'reason'])
      const probe = original.probes[i] as { from: string; to: string; port: number }
      assert.equal(res.from, probe.from)
      assert.equal(res.to, probe.to)
      assert.equal(res.port, probe.port)
      assert.equal(res.protocol, 'TCP')
      assert.equal(res.allowed, original.expected[i])
      assert.equal(typeof res.reason, 'string')
    }
    assert.deepEqual(out.mismatches, [])
  })

  it('prints no mismatches key when the case has no "expected"', () => {
    const { expected: _expected, ...rest } = original
    const r = reach(caseFile('no-expected.json', rest))
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(Object.keys(JSON.parse(r.stdout) as object), ['results'])
  })

  it('exits 1 and reports each mismatch when a result differs from "expected"', () => {
    const flipped = original.expected.map((e, i) => (i === 1 ? !e : e))
    const r = reach(caseFile('mismatch.json', { ...original, expected: flipped }))
    assert.equal(r.code, 1)
    const out = JSON.parse(r.stdout) as { results: unknown[]; mismatches: { index: number; expected: boolean; allowed: boolean }[] }
    assert.equal(out.results.length, original.probes.length)
    assert.equal(out.mismatches.length, 1)
    assert.equal(out.mismatches[0]?.index, 1)
    assert.equal(out.mismatches[0]?.expected, flipped[1])
    assert.equal(out.mismatches[0]?.allowed, original.expected[1])
    assert.match(r.stderr, /MISMATCH probes\[1\] y\/c → x\/a 80\/TCP: expected allowed, engine says denied/)
    assert.match(r.stderr, /1 of 8 probes differ/)
  })

  const invalid: [string, unknown, RegExp][] = [
    ['an unknown pod', { ...original, probes: [{ from: 'x/zz', to: 'x/a', port: 80 }], expected: [true] }, /probes\[0\]\.from: no pod "x\/zz" in the model/],
    ['a bad IP', { ...original, probes: [{ from: '300.1.2.3', to: 'x/a', port: 80 }], expected: [true] }, /probes\[0\]\.from: "300\.1\.2\.3" is neither/],
    ['a bad pod IP', { ...original, pods: [{ namespace: 'x', name: 'a', ip: 'ten' }] }, /pod x\/a: ip "ten" is not an IPv4 address/],
    ['a malformed policy', { ...original, policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'x' }, spec: { podSelector: {}, ingress: [{ from: [{}] }] } }] },
      /policies\[0\] \(NetworkPolicy x\/p\)\.spec\.ingress\[0\]\.from\[0\]: a peer needs podSelector, namespaceSelector or ipBlock/],
    ['a bad selector', { ...original, policies: [{ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'g' }, spec: { selector: 'app = "x"' } }] },
      /policies\[0\] \(GlobalNetworkPolicy g\)\.spec\.selector: bad selector "app = \\"x\\"" at column 5: expected "=="/],
    ['a bad protocol', { ...original, probes: [{ from: 'x/a', to: 'x/b', port: 80, protocol: 'ICMP' }], expected: [true] }, /probes\[0\]\.protocol/],
    ['a wrong expected length', { ...original, expected: [true] }, /expected: has 1 entries but there are 8 probes/],
    ['not JSON', '{"name": ', /not JSON/],
  ]
  for (const [what, content, message] of invalid) {
    it(`exits 2 with a clear message on ${what}`, () => {
      const r = reach(caseFile(`${what.replace(/\W+/g, '-')}.json`, content))
      assert.equal(r.code, 2, r.stdout)
      assert.equal(r.stdout, '')
      assert.match(r.stderr, /^reach: invalid case /)
      assert.match(r.stderr, message)
    })
  }

  it('exits 2 on a missing file or wrong arguments', () => {
    const missing = reach(join(tmp, 'nope.json'))
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /cannot read/)
    const none = reach()
    assert.equal(none.code, 2)
    assert.match(none.stderr, /expected exactly one case file/)
  })
})

describe('reach --manifests', () => {
  it('prints the lab truth tables', () => {
    const r = reach('--manifests', 'manifests/')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^9080\/TCP$/m)
    assert.match(r.stdout, /^53\/UDP$/m)
    assert.match(r.stdout, /^-\s+\S/m)
  })

  it('prints JSON results with --json', () => {
    const r = reach('--manifests', 'manifests/', '--json')
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as { results: { allowed: boolean }[] }
    assert.ok(out.results.length > 0)
  })
})
