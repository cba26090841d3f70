// Test networks made of Linux network namespaces and veth pairs: real kernels, real routing tables, real daemons
// (BIRD, dnsmasq, servers), with nothing outside the namespaces this process made.
//
//   await withNetLab('twin', async (lab) => {
//     const a = await lab.ns('node1'); const b = await lab.ns('host1')
//     await lab.link({ ns: a, ifname: 'eth0', addr: '10.0.0.1/24' }, { ns: b, ifname: 'eth0', addr: '10.0.0.2/24' })
//     lab.spawn(b, ['bird', '-f', '-c', conf])
//     const r = await lab.exec(a, ['ping', '-c1', '10.0.0.2'])
//   })
//
// Every namespace is named `<tag>-<pid>-<name>`, so parallel runs never collide and a sweep can tell a dead run's
// leftovers from a live one's. Cleanup (kill the spawned processes, delete the namespaces) runs when the callback
// ends, when it throws, on SIGINT/SIGTERM, and — synchronously — on process exit.
import { execFile, execFileSync, spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

export interface ExecResult {
  /** undefined when the process was killed by a signal (see `signal`) or did not start */
  exitCode: number | undefined
  signal: NodeJS.Signals | undefined
  stdout: string
  stderr: string
  ms: number
}

export interface Endpoint {
  /** full namespace name, as returned by `lab.ns()` */
  ns: string
  /** interface name inside that namespace (≤ 15 characters) */
  ifname: string
  /** address with prefix length, e.g. `198.19.0.1/24`; omitted: the interface has no address */
  addr?: string
}

const NETNS_DIR = '/var/run/netns'

/** Why network namespaces can't be used here, or undefined when they can (root and iproute2's `ip`). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, or in CI, which runs as root)'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'iproute2 is missing: apt-get install iproute2'
  }
  return undefined
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes namespaces `<tag>-<pid>-*` left behind by runs whose process is gone. Returns their names. */
export function sweepStale(tag: string): string[] {
  if (!existsSync(NETNS_DIR)) return []
  const stale: string[] = []
  const re = new RegExp(`^${tag.replace(/[^\w-]/g, '')}-(\\d+)-`)
  for (const name of readdirSync(NETNS_DIR)) {
    const m = re.exec(name)
    if (!m || pidAlive(Number(m[1]))) continue
    try {
      execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .forEach((pid) => {
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {
            // already gone
          }
        })
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' })
      stale.push(name)
    } catch {
      // another sweeper got it first
    }
  }
  return stale
}

export class NetLab {
  readonly prefix: string
  private readonly namespaces: string[] = []
  private readonly children = new Set<ChildProcess>()
  private closed = false

  constructor(tag: string) {
    if (!/^[a-z][a-z0-9]{0,11}$/.test(tag)) throw new Error(`netns tag "${tag}" must be 1–12 lower-case letters or digits`)
    this.prefix = `${tag}-${process.pid}-`
  }

  /** Creates a namespace with its loopback up; returns its full name. */
  async ns(name: string): Promise<string> {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new Error(`namespace name "${name}" must be lower-case words joined by "-"`)
    const full = this.prefix + name
    await this.ip(['netns', 'add', full])
    this.namespaces.push(full)
    await this.ip(['-n', full, 'link', 'set', 'lo', 'up'])
    return full
  }

  /** A veth pair between two namespaces, created inside them (nothing appears in the root namespace), both up. */
  async link(a: Endpoint, b: Endpoint): Promise<void> {
    await this.ip(['link', 'add', 'name', a.ifname, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns])
    for (const end of [a, b]) {
      if (end.addr) await this.ip(['-n', end.ns, 'addr', 'add', end.addr, 'dev', end.ifname])
      await this.ip(['-n', end.ns, 'link', 'set', end.ifname, 'up'])
    }
  }

  /** `sysctl -w key=value` inside a namespace (e.g. net.ipv4.ip_forward=1). */
  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    const r = await this.exec(ns, ['sysctl', '-q', '-w', `${key}=${value}`])
    if (r.exitCode !== 0) throw new Error(`sysctl ${key}=${value} in ${ns} failed: ${r.stderr.trim()}`)
  }

  /** Runs argv inside a namespace and waits for it (killed with SIGKILL after `timeoutMs`). Never throws. */
  exec(ns: string, argv: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
    const t0 = performance.now()
    return new Promise((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', ns, ...argv],
        { timeout: options.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', env: options.env ?? process.env },
        (error, stdout, stderr) => {
          const e = error as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null
          resolve({
            exitCode: e ? (typeof e.code === 'number' ? e.code : undefined) : 0,
            signal: e?.signal ?? undefined,
            stdout,
            stderr: stderr || (e && typeof e.code !== 'number' && !e.signal ? e.message : ''),
            ms: Math.round(performance.now() - t0),
          })
        },
      )
    })
  }

  /** Starts a long-running process inside a namespace; it is killed at cleanup. */
  spawn(ns: string, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  /** Kills what was spawned and deletes every namespace made. Safe to call twice; never throws. */
  async cleanup(): Promise<void> {
    if (this.closed) return
    this.cleanupSync()
  }

  /** The same, synchronously (for process exit). */
  cleanupSync(): void {
    if (this.closed) return
    this.closed = true
    for (const child of this.children) {
      try {
        child.kill('SIGKILL')
      } catch {
        // gone
      }
    }
    this.children.clear()
    for (const ns of this.namespaces.reverse()) {
      try {
        // processes started inside the namespace by others (ip netns exec … &) die with it only if killed
        for (const pid of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {
            // gone
          }
        }
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
      } catch {
        // already gone
      }
    }
    this.namespaces.length = 0
  }

  /** Names of the namespaces this lab made and has not deleted yet. */
  get made(): readonly string[] {
    return [...this.namespaces]
  }

  private ip(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile('ip', args, { encoding: 'utf8' }, (error, _stdout, stderr) => {
        if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`))
        else resolve()
      })
    })
  }
}

/**
 * Runs `fn` with a fresh NetLab and always cleans up: after `fn`, when it throws, on SIGINT/SIGTERM (then exits
 * 130/143), and on process exit. Leftovers of dead earlier runs with the same tag are swept first.
 */
export async function withNetLab<T>(tag: string, fn: (lab: NetLab) => Promise<T>): Promise<T> {
  const unavailable = netnsUnavailable()
  if (unavailable) throw new Error(unavailable)
  sweepStale(tag)
  const lab = new NetLab(tag)
  const onSignal = (signal: NodeJS.Signals) => {
    lab.cleanupSync()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  const onExit = () => lab.cleanupSync()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  try {
    return await fn(lab)
  } finally {
    await lab.cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
  }
}
