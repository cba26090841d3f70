// `npm test`'s first step: what it decides with tools missing (simulated by an empty PATH and empty folders for the
// tools made in .tools/), as root on Debian, as another user, and off Debian; and that every dependency install
// script is decided.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIRD2, BUSYBOX_NC, BUSYBOX_NC_SCRIPT, MADE_TOOLS, TEST_TOOLS, bird2Version, busyboxNcBinary, inspectTools, planTools, requireCommand } from '../../scripts/lib/tools.ts'
import { onPath } from '../../scripts/lib/browser.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'

const empty = () => mkdtempSync(join(tmpdir(), 'no-tools-'))
const commandTools = TEST_TOOLS.filter((t) => !t.library).map((t) => t.deb)
const tool = (deb: string) => TEST_TOOLS.find((t) => t.deb === deb)!
/** What building busybox-nc needs that is not already a test tool (libc6-dev, a library, is installed here). */
const BUSYBOX_BUILD = 'dpkg-dev gcc make bzip2 xz-utils'

/** The installer as `npm test` runs it, with nothing on PATH, no browser, no BIRD 2 and no busybox-nc. */
function installer(args: string[], wrap: string[] = []) {
  const env = { PATH: empty(), HOME: empty(), PLAYWRIGHT_BROWSERS_PATH: empty(), BIRD2_DIR: join(empty(), 'bird2'), BUSYBOX_NC_DIR: join(empty(), 'busybox-nc') }
  const [cmd, ...rest] = [...wrap, process.execPath, join(repoRoot, 'scripts', 'test-tools.ts'), ...args]
  return { env, run: spawnSync(cmd!, rest, { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000 }) }
}

test('the list: the packages the suite needs, each named once', () => {
  for (const deb of ['chromium', 'poppler-utils', 'shellcheck', 'bird', 'busybox', 'iptables', 'iproute2', 'curl', 'dnsmasq-base', 'libssh-gcrypt-4', 'util-linux', 'procps']) assert.ok(tool(deb), deb)
  assert.equal(new Set(TEST_TOOLS.map((t) => t.deb)).size, TEST_TOOLS.length)
  // the made tools: each in its own folder, moved by its own variable, and what they need before they can be made
  assert.deepEqual(MADE_TOOLS.map((t) => [t.name, t.dirEnv]), [['bird2', 'BIRD2_DIR'], ['busybox-nc', 'BUSYBOX_NC_DIR']])
  assert.deepEqual(BIRD2.needs, [tool('libssh-gcrypt-4')], 'BIRD 2 runs against the system library the test list installs')
  assert.deepEqual(BUSYBOX_NC.needs.map((t) => t.deb), ['dpkg-dev', 'gcc', 'libc6-dev', 'make', 'bzip2', 'xz-utils'])
})

test('root on Debian, tools missing, --dry-run: prints the apt-get, BIRD 2 and busybox-nc commands it would run, runs none', () => {
  const { env, run } = installer(['--dry-run'])
  assert.equal(run.status, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  assert.match(lines[0]!, /^test tools: would install chromium \(browser tests and npm run export\), poppler-utils/)
  assert.deepEqual(lines.slice(1), [
    'would run: apt-get update -qq',
    // libssh-gcrypt-4 and libc6-dev are libraries: dpkg, not PATH, says they are installed here
    `would run: DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${commandTools.join(' ')} ${BUSYBOX_BUILD}`,
    'would run: cd "$(mktemp -d)" && apt-get download -qq -o APT::Sandbox::User=root bird2',
    `would run: dpkg-deb -x bird2_*.deb ${env.BIRD2_DIR}`,
    `would run: bash ${join(repoRoot, 'scripts/lib/busybox-nc.sh')} ${env.BUSYBOX_NC_DIR}`,
  ])
  assert.match(lines[0]!, new RegExp(`busybox-nc built into ${env.BUSYBOX_NC_DIR} \\(busybox with the image's nc -z -v`))
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
  assert.ok(run.stderr.includes(`apt-get install -y ${commandTools.join(' ')} ${BUSYBOX_BUILD} && (cd`), run.stderr)
  assert.ok(run.stderr.trimEnd().endsWith(`dpkg-deb -x bird2_*.deb '${env.BIRD2_DIR}') && bash '${join(repoRoot, 'scripts/lib/busybox-nc.sh')}' '${env.BUSYBOX_NC_DIR}'`), run.stderr)
  assert.doesNotMatch(run.stdout, /\$ apt-get/, 'ran nothing')
})

test('decisions: root on Debian installs; another user may only make the tools in .tools/; off Debian only instructions', () => {
  const dir = '/x/.tools/bird2'
  const bird2 = { tool: BIRD2, dir }
  const busyboxNc = { tool: BUSYBOX_NC, dir: '/x/.tools/busybox-nc' }
  const missing = [tool('shellcheck'), tool('libssh-gcrypt-4')]
  const root = planTools(missing, [bird2], { root: true, debian: true })
  assert.equal(root.instructions, null)
  assert.deepEqual(root.commands, ['apt-get update -qq', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck libssh-gcrypt-4', 'cd "$(mktemp -d)" && apt-get download -qq -o APT::Sandbox::User=root bird2', `dpkg-deb -x bird2_*.deb ${dir}`])
  // the build reads source packages through the script's own apt state: the system's lists are not refreshed for it
  assert.deepEqual(planTools([], [busyboxNc], { root: true, debian: true }).commands, [`bash ${BUSYBOX_NC_SCRIPT} /x/.tools/busybox-nc`])

  const user = planTools(missing, [], { root: false, debian: true })
  assert.match(user.instructions ?? '', /sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y shellcheck libssh-gcrypt-4$/)
  const userBird2Only = planTools([], [bird2], { root: false, debian: true })
  assert.equal(userBird2Only.instructions, null, 'unpacking BIRD 2 needs no root')
  assert.ok(!userBird2Only.commands.includes('apt-get update -qq'), 'apt-get update needs root')
  const userMakesBoth = planTools([], [bird2, busyboxNc], { root: false, debian: true })
  assert.equal(userMakesBoth.instructions, null, 'building busybox-nc needs no root once its packages are there')
  assert.deepEqual(userMakesBoth.commands, [...BIRD2.steps(dir), `bash ${BUSYBOX_NC_SCRIPT} /x/.tools/busybox-nc`])
  const userNeedsBuildTools = planTools([BUSYBOX_NC.needs.find((t) => t.deb === 'gcc')!], [busyboxNc], { root: false, debian: true })
  assert.match(userNeedsBuildTools.instructions ?? '', /sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y gcc && bash '\S+\/scripts\/lib\/busybox-nc\.sh' '\/x\/\.tools\/busybox-nc'$/)

  const mac = planTools(missing, [bird2, busyboxNc], { root: false, debian: false })
  assert.match(mac.instructions ?? '', /^Not a Debian machine/)
  assert.match(mac.instructions ?? '', /shellcheck libssh-gcrypt-4 bird2 \(unpacked into \/x\/\.tools\/bird2\) busybox-nc \(built into \/x\/\.tools\/busybox-nc\)/)

  assert.deepEqual(planTools([], [], { root: false, debian: false }), { missing: [], make: [], commands: [], instructions: null }, 'nothing missing: nothing to do anywhere')
})

test('busybox-nc is present only when its nc takes -z: Debian’s busybox (the small nc) is not enough', () => {
  const debianBusybox = requireCommand('busybox')
  const small = empty()
  symlinkSync(debianBusybox, join(small, 'busybox'))
  assert.equal(BUSYBOX_NC.check(small, process.env), null, `${debianBusybox} passed for busybox-nc`)
  assert.equal(BUSYBOX_NC.check(empty(), process.env), null)
  // the same check with nothing on PATH, as the installer test runs it
  assert.match(BUSYBOX_NC.check(join(busyboxNcBinary(), '..'), { PATH: '' }) ?? '', /^busybox with nc -z at \//)
})

test('a made tool’s build packages are wanted only while it must be made', () => {
  // a PATH with every test tool's commands but no compiler
  const bin = empty()
  for (const command of [...TEST_TOOLS.flatMap((t) => t.commands ?? []), 'chromium', 'bash', 'dpkg-query']) symlinkSync(onPath(command)!, join(bin, command))
  assert.equal(onPath('gcc', { PATH: bin }), null)
  assert.deepEqual(inspectTools({ PATH: bin }), { missing: [], make: [] })
  const rebuild = inspectTools({ PATH: bin, BUSYBOX_NC_DIR: empty() })
  assert.deepEqual(rebuild.make.map((m) => m.tool.name), ['busybox-nc'])
  assert.deepEqual(rebuild.missing.map((t) => t.deb), ['dpkg-dev', 'gcc', 'make', 'bzip2', 'xz-utils'])
})

test('this machine after npm test’s first step: every tool present, BIRD 2 and busybox-nc work from their folders', () => {
  const { missing, make } = inspectTools()
  assert.deepEqual(missing.map((t) => t.deb), [], 'npm test installs these first; run npm run test:tools')
  assert.deepEqual(make.map((m) => `${m.tool.name} in ${m.dir}`), [], 'npm test makes these first; run npm run test:tools')
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
