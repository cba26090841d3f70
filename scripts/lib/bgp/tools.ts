// Where the twin's BIRD binaries are, and a clear message when one is missing.
//   BIRD 1.6 (the base of Calico's BIRD fork; what the nodes run): Debian's `bird` package, /usr/sbin/bird + birdc.
//   BIRD 2 (what host1 runs): Debian's `bird2`, unpacked beside BIRD 1.6 (the two packages conflict):
//     apt-get download bird2 && dpkg-deb -x bird2_*.deb "$BIRD2_DIR"   (needs libssh-gcrypt-4 installed)
//   BIRD2_DIR defaults to <repo>/.tools/bird2 (git-ignored).
import { accessSync, constants } from 'node:fs'
import { bird2Binary } from '../tools.ts'

export { REPO_ROOT } from '../../../demo-server/src/repoRoot.ts'

export interface BirdTools {
  bird16: string
  birdc16: string
  bird2: string
  birdc2: string
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export function birdTools(env: NodeJS.ProcessEnv = process.env): BirdTools {
  return {
    bird16: '/usr/sbin/bird',
    birdc16: '/usr/sbin/birdc',
    bird2: bird2Binary('bird', env),
    birdc2: bird2Binary('birdc', env),
  }
}

/** Why the twin cannot run BIRD here (one line per missing tool), or undefined when it can. */
export function birdToolsMissing(tools: BirdTools = birdTools()): string | undefined {
  const problems: string[] = []
  if (!executable(tools.bird16) || !executable(tools.birdc16)) {
    problems.push(`BIRD 1.6 is missing (${tools.bird16}, ${tools.birdc16}): apt-get install bird`)
  }
  if (!executable(tools.bird2) || !executable(tools.birdc2)) {
    problems.push(
      `BIRD 2 is missing (${tools.bird2}): apt-get install libssh-gcrypt-4 && apt-get download bird2 && ` +
        `dpkg-deb -x bird2_*.deb ${tools.bird2.replace(/\/usr\/sbin\/bird$/, '')} (or set BIRD2_DIR)`,
    )
  }
  return problems.length > 0 ? problems.join('\n') : undefined
}
