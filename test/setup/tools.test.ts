// `npm test`'s first step: what it decides with tools missing (simulated by an empty PATH and an empty BIRD 2
// folder), as root on Debian, as another user, and off Debian; and that every dependency install script is decided.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_TOOLS, bird2Version, inspectTools, planTools, requireCommand } from '../../scripts/lib/tools.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'

const empty = () => mkdtempSync(join(tmpdir(), 'no-tools-'))
const commandTools = TEST_TOOLS.filter((t) => !t.library).map((t) => t.deb)
const tool = (deb: string) => TEST_TOOLS.find((t) => t.deb === deb)!

/** The installer as `npm test` runs it, with nothing on PATH, no browser and no BIRD 2. */
function installer(args: string[], wrap: string[] = []) {
  const env = { PATH: empty(), HOME: empty(), PLAYWRIGHT_BROWSERS_PATH: empty(), BIRD2_DIR: join(empty(), 'bird2') }
  const [cmd, ...rest] = [...wrap, process.execPath, join(repoRoot, 'scripts', 'test-tools.ts'), ...args]
  return { env, run: spawnSync(cmd!, rest, { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000 }) }
}

test('the list: the packages the suite needs, each named once', () => {
  for (const deb of ['chromium', 'poppler-utils', 'shellcheck', 'bird', 'busybox', 'iptables', 'iproute2', 'curl', 'dnsmasq-base', 'libssh-gcrypt-4']) assert.ok(tool(deb), deb)
  assert.equal(new Set(TEST_TOOLS.map((t) => t.deb)).size, TEST_TOOLS.length)
})

test('root on Debian, tools missing, --dry-run: prints the apt-get and BIRD 2 commands it would run, runs none', () => {
  const { env, run } = installer(['--dry-run'])
  assert.equal(run.status, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  assert.match(lines[0]!, /^test tools: would install chromium \(browser tests and npm run export\), poppler-utils/)
  assert.deepEqual(lines.slice(1), [
    'would run: apt-get update -qq',
    // libssh-gcrypt-4 is a library: dpkg, not PATH, says it is installed here
    `would run: DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${commandTools.join(' ')}`,
    'would run: cd "$(mktemp -d)" && apt-get download -qq -o APT::Sandbox::User=root bird2',
    `would run: dpkg-deb -x bird2_*.deb ${env.BIRD2_DIR}`,
  ])
  assert.ok(commandTools.includes('chromium') && commandTools.includes('shellcheck') && commandTools.includes('bird'))
})

test('not root: names the exact command and exits 1 before anything runs', () => {
  const { env, run } = installer([], [
    requireCommand('setpriv'),
    ...['--reuid=65534', '--regid=65534', '--clear-groups'],
    // nobody, still able to read the clone wherever it is (a clone under /root is closed to other users)
    ...['--inh-caps=+dac_override,+dac_read_search', '--ambient-caps=+dac_override,+dac_read_search'],
  ])
  assert.equal(run.status, 1, `${run.stdout}${run.stderr}`)
  assert.match(run.stderr, /^test tools missing: chromium/)
  assert.match(run.stderr, /Not root/)
  assert.ok(run.stderr.includes(`sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y ${commandTools.join(' ')}`), run.stderr)
  assert.ok(run.stderr.includes(`apt-get download bird2 && dpkg-deb -x bird2_*.deb '${env.BIRD2_DIR}'`), run.stderr)
  assert.doesNotMatch(run.stdout, /\$ apt-get/, 'ran nothing')
})

test('decisions: root on Debian installs; another user may only unpack BIRD 2; off Debian only instructions', () => {
  const dir = '/x/.tools/bird2'
  const missing = [tool('shellcheck'), tool('libssh-gcrypt-4')]
  const root = planTools(missing, true, { root: true, debian: true }, dir)
  assert.equal(root.instructions, null)
  assert.deepEqual(root.commands, ['apt-get update -qq', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck libssh-gcrypt-4', 'cd "$(mktemp -d)" && apt-get download -qq -o APT::Sandbox::User=root bird2', `dpkg-deb -x bird2_*.deb ${dir}`])

  const user = planTools(missing, false, { root: false, debian: true }, dir)
  assert.match(user.instructions ?? '', /sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y shellcheck libssh-gcrypt-4$/)
  const userBird2Only = planTools([], true, { root: false, debian: true }, dir)
  assert.equal(userBird2Only.instructions, null, 'unpacking BIRD 2 needs no root')
  assert.ok(!userBird2Only.commands.includes('apt-get update -qq'), 'apt-get update needs root')

  const mac = planTools(missing, true, { root: false, debian: false }, dir)
  assert.match(mac.instructions ?? '', /^Not a Debian machine/)
  assert.match(mac.instructions ?? '', /shellcheck libssh-gcrypt-4 bird2 \(unpacked into \/x\/\.tools\/bird2\)/)

  assert.deepEqual(planTools([], false, { root: false, debian: false }, dir), { missing: [], needBird2: false, commands: [], instructions: null }, 'nothing missing: nothing to do anywhere')
})

test('this machine after npm test’s first step: every tool present and BIRD 2 runs from its folder', () => {
  const { missing, needBird2 } = inspectTools()
  assert.deepEqual(missing.map((t) => t.deb), [], 'npm test installs these first; run npm run test:tools')
  assert.equal(needBird2, false)
  assert.match(bird2Version() ?? '', /^BIRD version 2\.\d+/)
})

test('every dependency with an install script is approved or denied in allowScripts (npm ci fails on others)', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean; name?: string }> }
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.replace(/^.*node_modules\//, ''))
  assert.deepEqual(withScripts.filter((name) => !(name in (pkg.allowScripts ?? {}))), [])
  assert.equal(pkg.allowScripts?.node, true, 'the node package must run its script: it installs the Node 24 binary')
  assert.match(readFileSync(join(repoRoot, '.npmrc'), 'utf8'), /^strict-allow-scripts=true$/m)
})
