// The programs the test suite runs, in one list, and the installer `npm test` runs first: on Debian as root it
// installs what is missing (saying what), elsewhere it prints the exact command and fails before any test runs.
// Two tools no Debian package gives as the tests need them are made inside the repository, in .tools/ (git-ignored):
// BIRD 2 (its package conflicts with BIRD 1.6's) and busybox with the image's nc (Debian builds the small nc).
// To add a Debian package: one entry in TEST_TOOLS. To add a tool made in .tools/: one entry in MADE_TOOLS.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findBrowser, onPath } from './browser.ts'
import { REPO_ROOT } from '../../demo-server/src/repoRoot.ts'

const repoRoot = REPO_ROOT

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

const LIBSSH_GCRYPT: TestTool = { deb: 'libssh-gcrypt-4', why: 'a library BIRD 2 links against', library: true }

export const TEST_TOOLS: TestTool[] = [
  { deb: 'chromium', why: 'browser tests and npm run export', present: (env) => findBrowser({ env }) !== null },
  { deb: 'poppler-utils', why: 'reading exported PDFs (pdftotext, pdftoppm, pdfinfo)', commands: ['pdftotext', 'pdftoppm', 'pdfinfo'] },
  { deb: 'shellcheck', why: 'checking the cluster scripts', commands: ['shellcheck'] },
  { deb: 'bird', why: 'BIRD 1.6 routers (the base of Calico’s BIRD)', commands: ['bird', 'birdc'] },
  { deb: 'busybox', why: 'the probe clients (nslookup, timeout) and ping in test namespaces', commands: ['busybox'] },
  { deb: 'iptables', why: 'dataplane rules in test namespaces', commands: ['iptables'] },
  { deb: 'iproute2', why: 'network namespaces and veth pairs', commands: ['ip'] },
  { deb: 'curl', why: 'outside-client probes', commands: ['curl'] },
  { deb: 'dnsmasq-base', why: 'a DNS server in test namespaces', commands: ['dnsmasq'] },
  { deb: 'util-linux', why: 'unshare and nsenter in the probe tests, setpriv in the installer test', commands: ['unshare', 'nsenter', 'setpriv'] },
  { deb: 'procps', why: 'sysctl in test namespaces, for IP forwarding', commands: ['sysctl'] },
  LIBSSH_GCRYPT,
]

/** A tool made in the repository's .tools/ folder rather than installed: made as the user who runs the installer. */
export interface MadeTool {
  /** its folder under .tools/ and its name in messages */
  name: string
  why: string
  /** how it comes to be, in messages: "bird2 unpacked into DIR" */
  made: 'unpacked' | 'built'
  /** the environment variable that puts its folder elsewhere */
  dirEnv: string
  /** Debian packages it needs before it can be made: installed with the rest, only while it must be made */
  needs: TestTool[]
  /** making it reads the system's apt lists, so root refreshes them first */
  aptLists: boolean
  /** one line saying what works in dir, or null when it is missing or does not work */
  check: (dir: string, env: NodeJS.ProcessEnv) => string | null
  /** the shell lines that make it (the --dry-run output) */
  steps: (dir: string) => string[]
  /** the same as one command a person can paste */
  instruction: (dir: string) => string
  /** where to look when it is still missing after being made */
  hint: (dir: string) => string
  make: (dir: string) => void
}

function run(argv: string[], cwd?: string): void {
  const [cmd, ...args] = argv
  console.log(`$ ${argv.join(' ')}`)
  execFileSync(cmd!, args, { cwd, stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

// apt's download sandbox user cannot write into a root-only temporary folder; root does the download itself.
const BIRD2_DOWNLOAD = ['apt-get', 'download', '-qq', '-o', 'APT::Sandbox::User=root', 'bird2']

/** The version line `bird --version` prints from dir when it is BIRD 2, else null. */
function bird2VersionIn(dir: string): string | null {
  const bird = join(dir, 'usr', 'sbin', 'bird')
  if (!existsSync(bird)) return null
  const ran = spawnSync(bird, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  const line = `${ran.stdout ?? ''}${ran.stderr ?? ''}`.trim()
  return ran.status === 0 && /^BIRD version 2\./.test(line) ? line : null
}

/** BIRD 2 beside BIRD 1.6 (the Debian packages conflict): bird2's .deb unpacked, run from usr/sbin. */
export const BIRD2: MadeTool = {
  name: 'bird2',
  why: 'BIRD 2 routers beside BIRD 1.6',
  made: 'unpacked',
  dirEnv: 'BIRD2_DIR',
  needs: [LIBSSH_GCRYPT],
  aptLists: true,
  check: (dir) => {
    const version = bird2VersionIn(dir)
    return version && `${version} in ${dir}`
  },
  steps: (dir) => [`cd "$(mktemp -d)" && ${BIRD2_DOWNLOAD.join(' ')}`, `dpkg-deb -x bird2_*.deb ${dir}`],
  instruction: (dir) => `(cd "$(mktemp -d)" && apt-get download bird2 && dpkg-deb -x bird2_*.deb '${dir}')`,
  hint: (dir) => `does ${dir}/usr/sbin/bird --version run?`,
  make: (dir) => {
    // the .deb goes to a temporary folder, removed afterwards
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
  },
}

/** Builds busybox with the image's nc (-z, -v) from Debian's busybox source package; `--check` only looks. */
export const BUSYBOX_NC_SCRIPT = join(repoRoot, 'scripts', 'lib', 'busybox-nc.sh')

/** busybox with nc -z -v (the probe tests' nc), built from Debian's busybox source by BUSYBOX_NC_SCRIPT. */
export const BUSYBOX_NC: MadeTool = {
  name: 'busybox-nc',
  why: "busybox with the image's nc -z -v for the probe tests; Debian's busybox has the small nc",
  made: 'built',
  dirEnv: 'BUSYBOX_NC_DIR',
  needs: [
    { deb: 'dpkg-dev', why: 'unpacking the busybox source package', commands: ['dpkg-source'] },
    { deb: 'gcc', why: 'compiling busybox', commands: ['gcc'] },
    { deb: 'libc6-dev', why: 'the C headers busybox compiles against', library: true },
    { deb: 'make', why: 'building busybox', commands: ['make'] },
    { deb: 'bzip2', why: 'the busybox source archive', commands: ['bzip2'] },
    { deb: 'xz-utils', why: 'the busybox source archive', commands: ['xz'] },
  ],
  // the script reads source packages through its own private apt state
  aptLists: false,
  // the script's own check (one implementation): the small nc refuses -z
  check: (dir, env) => {
    const bash = onPath('bash', env) ?? '/bin/bash'
    const ran = spawnSync(bash, [BUSYBOX_NC_SCRIPT, '--check', dir], { env, encoding: 'utf8', timeout: 10_000 })
    return ran.status === 0 ? ran.stdout.trim() : null
  },
  steps: (dir) => [`bash ${BUSYBOX_NC_SCRIPT} ${dir}`],
  instruction: (dir) => `bash '${BUSYBOX_NC_SCRIPT}' '${dir}'`,
  hint: (dir) => `does ${dir}/busybox nc -vv -z -w 1 127.0.0.1 1 say "(127.0.0.1:1)"?`,
  make: (dir) => run(['bash', BUSYBOX_NC_SCRIPT, dir]),
}

export const MADE_TOOLS: MadeTool[] = [BIRD2, BUSYBOX_NC]

/** Where a made tool lives: its environment variable, else <repo>/.tools/<name>. */
export function madeToolDir(tool: MadeTool, env: NodeJS.ProcessEnv = process.env): string {
  return env[tool.dirEnv] ?? join(repoRoot, '.tools', tool.name)
}

export function bird2Dir(env: NodeJS.ProcessEnv = process.env): string {
  return madeToolDir(BIRD2, env)
}

/** Path of BIRD 2's `bird` or `birdc`. Needs no LD_LIBRARY_PATH: its only extra library, libssh-gcrypt-4, is a system package. */
export function bird2Binary(name: 'bird' | 'birdc' | 'birdcl', env: NodeJS.ProcessEnv = process.env): string {
  return join(bird2Dir(env), 'usr', 'sbin', name)
}

/** The version line BIRD 2 prints, or null when it is missing or does not run. */
export function bird2Version(env: NodeJS.ProcessEnv = process.env): string | null {
  return bird2VersionIn(bird2Dir(env))
}

/** Path of the busybox whose nc takes -z and -v. */
export function busyboxNcBinary(env: NodeJS.ProcessEnv = process.env): string {
  return join(madeToolDir(BUSYBOX_NC, env), 'busybox')
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

/** A made tool that is missing, and the folder it goes into. */
export interface ToolToMake {
  tool: MadeTool
  dir: string
}

export interface ToolPlan {
  /** Debian packages to install (empty: none missing), made tools' needs included */
  missing: TestTool[]
  /** tools to make in .tools/, in order, after the packages */
  make: ToolToMake[]
  /** what will run, in order, as shell lines (the --dry-run output) */
  commands: string[]
  /** set when this process may not run them itself: the exact commands for a person to run */
  instructions: string | null
}

const APT_INSTALL = ['apt-get', 'install', '-y', '-qq']

const aptUpdateFirst = (missing: TestTool[], make: ToolToMake[]) => missing.length > 0 || make.some((m) => m.tool.aptLists)

/** What to do, decided from what is missing and the machine alone (no side effects). */
export function planTools(missing: TestTool[], make: ToolToMake[], machine: Machine): ToolPlan {
  const debs = missing.map((t) => t.deb)
  const commands: string[] = []
  if (machine.root && aptUpdateFirst(missing, make)) commands.push('apt-get update -qq')
  if (debs.length > 0) commands.push(`DEBIAN_FRONTEND=noninteractive ${[...APT_INSTALL, ...debs].join(' ')}`)
  for (const { tool, dir } of make) commands.push(...tool.steps(dir))
  // Making a tool in .tools/ needs no root once its packages are there; installing packages does.
  if (commands.length === 0 || (machine.debian && (machine.root || debs.length === 0))) return { missing, make, commands, instructions: null }
  const sudo = machine.root ? '' : 'sudo '
  const lines = machine.debian
    ? ['Not root: the test tools cannot be installed from here. Run this, then npm test again:']
    : [
        'Not a Debian machine: npm test installs its tools only on Debian (as root). It needs these Debian packages, or the same programs from your system:',
        `  ${[...debs, ...make.map(({ tool, dir }) => `${tool.name} (${tool.made} into ${dir})`)].join(' ')}`,
        'On Debian the command is:',
      ]
  const steps: string[] = []
  if (debs.length > 0) steps.push(`${sudo}apt-get update`, `${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y ${debs.join(' ')}`)
  for (const { tool, dir } of make) steps.push(tool.instruction(dir))
  lines.push(`  ${steps.join(' && ')}`)
  return { missing, make, commands, instructions: lines.join('\n') }
}

/** Looks at this machine: which made tools are missing, which packages are (the made tools' needs only while they must be made). */
export function inspectTools(env: NodeJS.ProcessEnv = process.env): { missing: TestTool[]; make: ToolToMake[] } {
  const make = MADE_TOOLS.map((tool) => ({ tool, dir: madeToolDir(tool, env) })).filter(({ tool, dir }) => tool.check(dir, env) === null)
  const wanted = new Map<string, TestTool>()
  for (const tool of [...TEST_TOOLS, ...make.flatMap((m) => m.tool.needs)]) wanted.set(tool.deb, tool)
  return { missing: [...wanted.values()].filter((t) => !toolPresent(t, env)), make }
}

/** Runs what the plan says: packages (as root), then each made tool (as whoever runs this). */
export function installTools(plan: ToolPlan, machine: Machine): void {
  if (machine.root && aptUpdateFirst(plan.missing, plan.make)) run(['apt-get', 'update', '-qq'])
  if (plan.missing.length > 0) run([...APT_INSTALL, ...plan.missing.map((t) => t.deb)])
  for (const { tool, dir } of plan.make) tool.make(dir)
}

/** For a test that needs a tool: the path, or an error naming the package (npm test installs it as root). */
export function requireCommand(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = onPath(command, env)
  if (path) return path
  const tool = TEST_TOOLS.find((t) => t.commands?.includes(command))
  throw new Error(`${command} is missing: install the Debian package ${tool?.deb ?? command} (npm test installs it when run as root on Debian)`)
}
