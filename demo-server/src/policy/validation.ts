// Turning zod failures and selector errors into one readable line per problem, with the path to the field.
import type { z } from 'zod'
import { parseSelector, SelectorError, type SelectorNode } from './selector.ts'

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out === '' ? String(p) : `.${String(p)}`
  }
  return out
}

export function zodIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const where = [prefix, formatPath(issue.path)].filter((s) => s !== '').join('.').replace(/\.\[/g, '[')
    return `${where}: ${issue.message}`
  })
}

/** Parses a selector, recording a one-line problem (with the column) instead of throwing. */
export function parseSelectorField(text: string | undefined, where: string, issues: string[]): SelectorNode | undefined {
  if (text === undefined) return undefined
  try {
    return parseSelector(text)
  } catch (e) {
    if (e instanceof SelectorError) {
      issues.push(`${where}: bad selector ${JSON.stringify(text)} at column ${e.position + 1}: ${e.detail}`)
      return undefined
    }
    throw e
  }
}
