// Which entry file Slidev opens. The assessment's interview runs the 30-minute demo first, then the 15-minute
// presentation: that is slides.md. slides-talk-first.md is the same deck with the two parts the other way round.
// Both import their parts from pages/parts/, so the order is the only difference (test/deck/entries.test.ts).
//   npm start -- --talk-first            the presentation first
//   DECK_ENTRY=slides-talk-first.md …    the same for anything that reads the deck (start, export, tests, rehearsal)
import { existsSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'

/** The two orders of the deck, each an entry file at the repository's root. */
export const DECK_ENTRIES = { demoFirst: 'slides.md', talkFirst: 'slides-talk-first.md' } as const

/** The order an entry runs the two parts in, as `npm start` prints it. */
export function deckOrder(entry: string): string {
  if (entry === DECK_ENTRIES.demoFirst) return 'the demo, then the presentation'
  if (entry === DECK_ENTRIES.talkFirst) return 'the presentation, then the demo'
  return 'as that file orders it'
}

/** Bad input for the deck's entry: the CLIs print the message and exit 2 before anything starts. */
export class DeckEntryError extends Error {}

/**
 * The entry to open: `--talk-first` picks slides-talk-first.md, `--entry FILE` (export only) or `DECK_ENTRY` any entry
 * file, and nothing picks slides.md. Two choices that disagree, or a file that is not there, are refused: a presenter
 * who asked for one order must never get the other.
 */
export function deckEntry(choice: { talkFirst?: boolean; entry?: string } = {}, env: NodeJS.ProcessEnv = process.env, root: string = REPO_ROOT): string {
  const asked = [
    ...(choice.talkFirst ? [['--talk-first', DECK_ENTRIES.talkFirst]] : []),
    ...(choice.entry !== undefined ? [['--entry', choice.entry]] : []),
    ...(env.DECK_ENTRY ? [['DECK_ENTRY', env.DECK_ENTRY]] : []),
  ] as Array<[string, string]>
  const entries = asked.map(([from, file]) => [from, isAbsolute(file) ? relative(root, file) : file] as const)
  const different = entries.find(([, file]) => file !== entries[0]![1])
  if (different) throw new DeckEntryError(`${entries[0]![0]} asks for ${entries[0]![1]}, ${different[0]} for ${different[1]}: choose one`)
  const entry = entries[0]?.[1] ?? DECK_ENTRIES.demoFirst
  if (!existsSync(join(root, entry))) throw new DeckEntryError(`no deck at ${join(root, entry)} (${Object.values(DECK_ENTRIES).join(' or ')})`)
  return entry
}

/** `deckEntry` for a CLI: bad input prints `<command>: <why>` and exits 2. */
export function deckEntryOption(command: string, choice: { talkFirst?: boolean; entry?: string }): string {
  try {
    return deckEntry(choice)
  } catch (error) {
    if (!(error instanceof DeckEntryError)) throw error
    console.error(`${command}: ${error.message}`)
    process.exit(2)
  }
}
