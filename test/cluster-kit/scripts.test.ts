// scripts/: shellcheck-clean; `--dry-run` prints the expected command sequence (compared exactly with the
// committed snapshots in test/cluster-kit/snapshots/) and runs no tool; the cloud-init files are valid.
//
// Changed a script on purpose? Regenerate the snapshots, then read the diff before committing:
//   UPDATE_SNAPSHOTS=1 node --test "test/cluster-kit/**/*.test.ts" && git diff test/cluster-kit/snapshots/
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { allDocs, libShConstants, manifestFiles, ROOT } from './lib/manifests.ts'
import { POLICY_STEPS } from '../../demo-server/src/catalog/policySteps.ts'
import { matchSnapshot } from '../support/snapshot.ts'

const SNAPSHOTS = join(ROOT, 'test/cluster-kit/snapshots')
const TOOLS = ['docker', 'kind', 'kubectl', 'multipass', 'curl', 'ssh']
const shellScripts = [
  ...readdirSync(join(ROOT, 'scripts')).filter((f) => f.endsWith('.sh')),
  ...readdirSync(join(ROOT, 'scripts', 'lib')).filter((f) => f.endsWith('.sh')).map((f) => `lib/${f}`),
].sort()

/** Runs a command with every cluster tool replaced by a stub that records being called and fails. */
function runWithStubs(argv: string[]): { stdout: string; stderr: string; status: number | null; called: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-kit-stubs-'))
  try {
    const log = join(dir, 'called.log')
    for (const tool of TOOLS) {
      const stub = join(dir, tool)
      writeFileSync(stub, `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexit 97\n`)
      chmodSync(stub, 0o755)
    }
    const r = spawnSync(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, LANG: 'C.UTF-8' },
      timeout: 30_000,
    })
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, called: existsSync(log) ? readFileSync(log, 'utf8') : '' }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const matchScriptSnapshot = (name: string, actual: string) => matchSnapshot(join(SNAPSHOTS, `${name}.txt`), actual, `${name}: dry-run output`)

const DRY_RUNS: Record<string, string[]> = {
  'cluster-kind': ['bash', 'scripts/cluster-kind.sh', '--dry-run'],
  'cluster-kind-down': ['bash', 'scripts/cluster-kind-down.sh', '--dry-run'],
  'cluster-vms': ['bash', 'scripts/cluster-vms.sh', '--dry-run'],
  'demo-reset': [process.execPath, 'scripts/demo-reset.ts', '--dry-run'],
}

test('scripts: shellcheck finds nothing (warnings included)', () => {
  const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' })
  assert.equal(r.status, 0, 'shellcheck is required for this test: apt-get install shellcheck')
  assert.ok(shellScripts.length >= 4, shellScripts.join(' '))
  const check = spawnSync('shellcheck', ['-x', '-S', 'style', ...shellScripts.map((f) => `scripts/${f}`)], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(check.status, 0, check.stdout + check.stderr)
})

test('scripts: shellcheck would catch a mistake (the check can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-kit-sc-'))
  try {
    writeFileSync(join(dir, 'bad.sh'), '#!/usr/bin/env bash\nfiles=$(ls)\nrm $files\n')
    const r = spawnSync('shellcheck', [join(dir, 'bad.sh')], { encoding: 'utf8' })
    assert.notEqual(r.status, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

for (const [name, argv] of Object.entries(DRY_RUNS)) {
  test(`scripts: ${name} --dry-run prints the expected sequence and runs no tool`, () => {
    const r = runWithStubs(argv)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.called, '', 'a dry run must not call docker, kind, kubectl, multipass, curl or ssh')
    assert.equal(r.stderr, '')
    matchScriptSnapshot(`${name}.dry-run`, r.stdout)
  })
}

test('scripts: snapshot comparison is exact (a changed line fails)', () => {
  const r = runWithStubs(DRY_RUNS['cluster-kind']!)
  const snapshot = readFileSync(join(SNAPSHOTS, 'cluster-kind.dry-run.txt'), 'utf8')
  assert.equal(r.stdout, snapshot)
  assert.notEqual(r.stdout.replace('v3.31.7', 'v3.31.6'), snapshot)
})

test('scripts: unknown arguments are refused; --help answers', () => {
  const bad = runWithStubs(['bash', 'scripts/cluster-kind.sh', '--dryrun'])
  assert.notEqual(bad.status, 0)
  assert.match(bad.stderr, /unknown argument: --dryrun/)
  assert.equal(bad.called, '')
  const help = runWithStubs(['bash', 'scripts/cluster-vms.sh', '--help'])
  assert.equal(help.status, 0)
  assert.match(help.stdout, /--dry-run/)
})

test('scripts: both labs install the pinned Calico and apply every lab manifest once, in order, no policy step', () => {
  const c = libShConstants()
  const stepFiles = POLICY_STEPS.map((s) => s.file) as string[]
  const labFiles = manifestFiles().filter((f) => !stepFiles.includes(f) && f !== 'manifests/00-namespaces.yaml')
  for (const name of ['cluster-kind', 'cluster-vms']) {
    const out = runWithStubs(DRY_RUNS[name]!).stdout
    const lines = out.split('\n')
    const crds = lines.findIndex((l) => l.includes(`/projectcalico/calico/${c.CALICO_VERSION}/manifests/operator-crds.yaml`))
    const operator = lines.findIndex((l) => l.includes(`/projectcalico/calico/${c.CALICO_VERSION}/manifests/tigera-operator.yaml`))
    assert.ok(crds > 0 && operator > crds, `${name}: operator CRDs then operator, at ${c.CALICO_VERSION}`)
    const applied = [...out.matchAll(/-f (manifests\/[\w.-]+)/g)].map((m) => m[1])
    assert.deepEqual(applied, ['manifests/00-namespaces.yaml', ...labFiles], `${name}: manifests applied in numeric order`)
    assert.ok(stepFiles.every((f) => !out.includes(f)), `${name}: the lab starts from the open baseline (no policy step)`)
    assert.match(out, /wait --for=condition=Available --timeout=600s tigerastatus\/calico/)
    assert.ok(out.indexOf('tigerastatus/apiserver') < out.indexOf('manifests/20-calico-bgp.yaml'), 'v3 resources after the API server')
  }
})

test('scripts: the kind configuration disables the default CNI and matches the address plan', () => {
  const out = runWithStubs(DRY_RUNS['cluster-kind']!).stdout
  const block = /\+ write tmp\/cluster-kit\/kind-config\.yaml\n((?: {2}\|.*\n)+)/.exec(out)
  assert.ok(block, 'the dry run shows the kind config')
  const config = parse(block[1]!.replace(/^ {2}\| ?/gm, ''))
  const c = libShConstants()
  assert.equal(config.networking.disableDefaultCNI, true)
  assert.equal(config.networking.podSubnet, c.POD_CIDR)
  assert.equal(config.networking.serviceSubnet, c.SERVICE_CIDR)
  assert.equal(config.networking.kubeProxyMode, 'iptables')
  assert.deepEqual(config.nodes.map((n: { role: string }) => n.role), ['control-plane', 'worker', 'worker'])
  const installation = allDocs().find((d) => d.obj.kind === 'Installation')!.obj
  assert.equal(installation.spec.calicoNetwork.ipPools[0].cidr, config.networking.podSubnet)
  assert.match(out, new RegExp(`docker create --name host1 .*--ip ${c.HOST1_IP!.replaceAll('.', '\\.')} `))
  assert.match(out, new RegExp(`docker run -d --name host2 .*--ip ${c.OTHER_IP!.replaceAll('.', '\\.')} `))
  assert.match(out, /KIND_EXPERIMENTAL_DOCKER_NETWORK=calico-lab kind create cluster --name calico-lab --image kindest\/node:v1\.35\.0@sha256:[0-9a-f]{64}/)
})

test('scripts: kubeadm on the VMs uses the same pod and service CIDRs', () => {
  const out = runWithStubs(DRY_RUNS['cluster-vms']!).stdout
  const c = libShConstants()
  assert.match(out, new RegExp(`kubeadm init .*--pod-network-cidr=${c.POD_CIDR} --service-cidr=${c.SERVICE_CIDR}`))
  assert.match(out, /--apiserver-advertise-address=198\.19\.0\.1 /)
})

test('cloud-init: valid #cloud-config YAML, only the placeholders the script fills, host1 peers with the nodes', () => {
  const dir = join(ROOT, 'scripts/cloud-init')
  const files = readdirSync(dir).sort()
  assert.deepEqual(files, ['host1.yaml', 'k8s-node.yaml'])
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8')
    assert.ok(text.startsWith('#cloud-config\n'), `${f}: first line #cloud-config`)
    const doc = parse(text)
    assert.ok(Array.isArray(doc.runcmd) && Array.isArray(doc.write_files), f)
    const placeholders = [...new Set([...text.matchAll(/@([A-Z_]+)@/g)].map((m) => m[1]))].sort()
    assert.deepEqual(placeholders, f === 'k8s-node.yaml' ? ['KUBERNETES_MINOR', 'LAB_ADDRESS'] : [], `${f} placeholders`)
  }
  const c = libShConstants()
  const node = readFileSync(join(dir, 'k8s-node.yaml'), 'utf8')
  assert.match(node, /KUBELET_EXTRA_ARGS=--node-ip=@LAB_ADDRESS@/)
  assert.match(node, /SystemdCgroup = true/)
  for (const port of ['TCP 179', 'IP protocol 4', 'TCP 5473', 'UDP 4789']) assert.ok(node.includes(port), `firewall note: ${port}`)
  const host1 = parse(readFileSync(join(dir, 'host1.yaml'), 'utf8'))
  // host1's BIRD text comes from scripts/lib.sh host1_bird_conf, written and installed by cluster-vms.sh
  const vms = runWithStubs(DRY_RUNS['cluster-vms']!).stdout
  const bird = /\+ write tmp\/cluster-kit\/host1-bird\.conf\n((?: {2}\|.*\n)+)/.exec(vms)![1]!.replace(/^ {2}\| ?/gm, '')
  assert.deepEqual([...bird.matchAll(/protocol bgp (\w+) from cluster_node \{ neighbor ([\d.]+) as (\d+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`),
    [`control ${c.CONTROL_IP}`, `node1 ${c.NODE1_IP}`, `node2 ${c.NODE2_IP}`].map((x) => `${x} ${c.CLUSTER_AS}`))
  assert.match(bird, new RegExp(`local ${c.HOST1_IP!.replaceAll('.', '\\.')} as ${c.HOST1_AS};`))
  assert.ok(vms.indexOf('multipass transfer tmp/cluster-kit/host1-bird.conf') < vms.indexOf('sudo systemctl restart bird'))
  assert.ok(!host1.write_files.some((w: { path: string }) => w.path === '/etc/bird/bird.conf'), 'one source for host1’s BIRD text')
  const address = host1.write_files.find((w: { path: string }) => w.path === '/usr/local/sbin/calico-lab-address').content as string
  assert.ok(address.includes(`${c.HOST1_IP}/20`) && address.includes(`${c.OTHER_IP}/20`), 'host1 has both client addresses')
})
