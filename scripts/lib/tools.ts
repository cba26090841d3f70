// The programs the test suite runs, in one list, and the installer `npm test` runs first: on Debian as root it
// installs what is missing (saying what), elsewhere it prints the exact command and fails before any test runs.
// To add a tool: one entry in TEST_TOOLS.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { findBrowser, onPath } from './browser.ts'

const repoRoot = resolve(import.meta.dirname, '..', '..')

export interface TestTool {
  /** the Debian package that brings it */
  deb: string
  /** what the tests use it for (printed when it is installed) */
  why: string
  /** commands it provides: present when all are on PATH */
  commands?: string[]
  /** a library package (no command): present when dpkg says it is installed */
  library?: true
  /** a custom presence check */
  present?: (env: NodeJS.ProcessEnv) => boolean
}

export const TEST_TOOLS: TestTool[] = [
  { deb: 'chromium', why: 'browser tests and npm run export', present: (env) => findBrowser({ env }) !== null },
  { deb: 'poppler-utils', why: 'reading exported PDFs (pdftotext, pdftoppm, pdfinfo)', commands: ['pdftotext', 'pdftoppm', 'pdfinfo'] },
  { deb: 'shellcheck', why: 'checking the cluster scripts', commands: ['shellcheck'] },
  { deb: 'bird', why: 'BIRD 1.6 routers (the base of Calico’s BIRD)', commands: ['bird', 'birdc'] },
  { deb: 'busybox', why: 'the probe clients (nc, nslookup, timeout)', commands: ['busybox'] },
  { deb: 'iptables', why: 'dataplane rules in test namespaces', commands: ['iptables'] },
  { deb: 'iproute2', why: 'network namespaces and veth pairs', commands: ['ip'] },
  { deb: 'curl', why: 'outside-client probes', commands: ['curl'] },
  { deb: 'dnsmasq-base', why: 'a DNS server in test namespaces', commands: ['dnsmasq'] },
  { deb: 'libssh-gcrypt-4', why: 'a library BIRD 2 links against', library: true },
]

/** BIRD 2 beside BIRD 1.6 (the Debian packages conflict): bird2's .deb unpacked here, run from usr/sbin. */
export function bird2Dir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BIRD2_DIR ?? join(repoRoot, '.tools', 'bird2')
}

/** Path of BIRD 2's `bird` or `birdc`. Needs no LD_LIBRARY_PATH: its only extra library, libssh-gcrypt-4, is a system package. */
export function bird2Binary(name: 'bird' | 'birdc' | 'birdcl', env: NodeJS.ProcessEnv = process.env): string {
  return join(bird2Dir(env), 'usr', 'sbin', name)
}

/** The version line BIRD 2 prints, or null when it is missing or does not run. */
export function bird2Version(env: NodeJS.ProcessEnv = process.env): string | null {
  const bird = bird2Binary('bird', env)
  if (!existsSync(bird)) return null
  const run = spawnSync(bird, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  const line = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim()
  return run.status === 0 && /^BIRD version 2\./.test(line) ? line : null
}

function debInstalled(deb: string, env: NodeJS.ProcessEnv): boolean {
  const dpkgQuery = onPath('dpkg-query', env) ?? (existsSync('/usr/bin/dpkg-query') ? '/usr/bin/dpkg-query' : null)
  if (!dpkgQuery) return false
  const run = spawnSync(dpkgQuery, ['-W', '-f=${db:Status-Abbrev}', deb], { encoding: 'utf8' })
  return run.status === 0 && run.stdout.startsWith('ii')
}

export function toolPresent(tool: TestTool, env: NodeJS.ProcessEnv = process.env): boolean {
  if (tool.present) return tool.present(env)
  if (tool.library) return debInstalled(tool.deb, env)
  return (tool.commands ?? []).every((c) => onPath(c, env) !== null)
}

export interface Machine {
  root: boolean
  debian: boolean
}

export function thisMachine(): Machine {
  return { root: process.getuid?.() === 0, debian: existsSync('/etc/debian_version') }
}

export interface ToolPlan {
  /** Debian packages to install (empty: none missing) */
  missing: TestTool[]
  /** BIRD 2 must be unpacked into its folder */
  needBird2: boolean
  /** what will run, in order, as shell lines (the --dry-run output) */
  commands: string[]
  /** set when this process may not run them itself: the exact commands for a person to run */
  instructions: string | null
}

const APT_INSTALL = ['apt-get', 'install', '-y', '-qq']
// apt's download sandbox user cannot write into a root-only temporary folder; root does the download itself.
const BIRD2_DOWNLOAD = ['apt-get', 'download', '-qq', '-o', 'APT::Sandbox::User=root', 'bird2']

/** What to do, decided from what is missing and the machine alone (no side effects). */
export function planTools(missing: TestTool[], needBird2: boolean, machine: Machine, dir: string): ToolPlan {
  const debs = missing.map((t) => t.deb)
  const commands: string[] = []
  if (machine.root && (debs.length > 0 || needBird2)) commands.push('apt-get update -qq')
  if (debs.length > 0) commands.push(`DEBIAN_FRONTEND=noninteractive ${[...APT_INSTALL, ...debs].join(' ')}`)
  if (needBird2) commands.push(`cd "$(mktemp -d)" && ${BIRD2_DOWNLOAD.join(' ')}`, `dpkg-deb -x bird2_*.deb ${dir}`)
  // Unpacking BIRD 2 needs no root; installing packages does.
  if (commands.length === 0 || (machine.debian && (machine.root || debs.length === 0))) return { missing, needBird2, commands, instructions: null }
  const sudo = machine.root ? '' : 'sudo '
  const lines = machine.debian
    ? ['Not root: the test tools cannot be installed from here. Run this, then npm test again:']
    : [
        'Not a Debian machine: npm test installs its tools only on Debian (as root). It needs these Debian packages, or the same programs from your system:',
        `  ${[...debs, ...(needBird2 ? [`bird2 (unpacked into ${dir})`] : [])].join(' ')}`,
        'On Debian the command is:',
      ]
  const steps: string[] = []
  if (debs.length > 0) steps.push(`${sudo}apt-get update`, `${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y ${debs.join(' ')}`)
  if (needBird2) steps.push(`(cd "$(mktemp -d)" && apt-get download bird2 && dpkg-deb -x bird2_*.deb '${dir}')`)
  lines.push(`  ${steps.join(' && ')}`)
  return { missing, needBird2, commands, instructions: lines.join('\n') }
}

/** Looks at this machine: which tools are missing, whether BIRD 2 runs. */
export function inspectTools(env: NodeJS.ProcessEnv = process.env): { missing: TestTool[]; needBird2: boolean } {
  return { missing: TEST_TOOLS.filter((t) => !toolPresent(t, env)), needBird2: bird2Version(env) === null }
}

function run(argv: string[], cwd?: string): void {
  const [cmd, ...args] = argv
  console.log(`$ ${argv.join(' ')}`)
  execFileSync(cmd!, args, { cwd, stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

/** Runs what the plan says (as root for packages). BIRD 2's .deb goes to a temporary folder, removed afterwards. */
export function installTools(plan: ToolPlan, machine: Machine, dir: string): void {
  if (machine.root && (plan.missing.length > 0 || plan.needBird2)) run(['apt-get', 'update', '-qq'])
  if (plan.missing.length > 0) run([...APT_INSTALL, ...plan.missing.map((t) => t.deb)])
  if (plan.needBird2) {
    const work = mkdtempSync(join(tmpdir(), 'bird2-deb-'))
    try {
      run(BIRD2_DOWNLOAD, work)
      const deb = readdirSync(work).find((f) => /^bird2_.*\.deb$/.test(f))
      if (!deb) throw new Error('apt-get download bird2 left no bird2_*.deb')
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      run(['dpkg-deb', '-x', join(work, deb), dir])
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }
}

/** For a test that needs a tool: the path, or an error naming the package (npm test installs it as root). */
export function requireCommand(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = onPath(command, env)
  if (path) return path
  const tool = TEST_TOOLS.find((t) => t.commands?.includes(command))
  throw new Error(`${command} is missing: install the Debian package ${tool?.deb ?? command} (npm test installs it when run as root on Debian)`)
}
