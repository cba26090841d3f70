// Calico label-selector language: tokenizer, parser, evaluator and the AST rewrites Calico itself applies
// when it turns a v3 policy into what Felix enforces (namespace/service-account label prefixes, `all()` and
// `global()` replacement).
//
// Grammar and precedence follow projectcalico/calico libcalico-go/lib/selector (tokenizer.go, parser.go):
//   or   := and ( "||" and )*
//   and  := op ( "&&" op )*
//   op   := "!"* ( has(k) | all() | global() | k == "v" | k != "v" | k contains "s" | k starts with "s"
//                 | k ends with "s" | k in {"a", ...} | k not in {...} | "(" or ")" )
// so "!" binds tighter than "&&", which binds tighter than "||" (docs: "Operators have the following
// precedence", https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors).
// Only spaces and tabs are whitespace; strings are single- or double-quoted with no escapes; a label key is
// [a-zA-Z0-9_./-]{1,512}; an empty selector means all().

export type SelectorNode =
  | { readonly op: 'all' }
  | { readonly op: 'global' }
  | { readonly op: 'has'; readonly key: string }
  | { readonly op: '=='; readonly key: string; readonly value: string }
  | { readonly op: '!='; readonly key: string; readonly value: string }
  | { readonly op: 'contains'; readonly key: string; readonly value: string }
  | { readonly op: 'starts with'; readonly key: string; readonly value: string }
  | { readonly op: 'ends with'; readonly key: string; readonly value: string }
  | { readonly op: 'in'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'not in'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: '!'; readonly operand: SelectorNode }
  | { readonly op: '&&'; readonly operands: readonly SelectorNode[] }
  | { readonly op: '||'; readonly operands: readonly SelectorNode[] }

export type Labels = Readonly<Record<string, string>>

/** A bad selector: `position` is the 0-based offset in `selector` where the problem was found. */
export class SelectorError extends Error {
  readonly selector: string
  readonly position: number
  readonly detail: string
  constructor(selector: string, position: number, detail: string) {
    const caret = `${' '.repeat(position)}^`
    super(`bad selector at column ${position + 1}: ${detail}\n  ${selector}\n  ${caret}`)
    this.name = 'SelectorError'
    this.selector = selector
    this.position = position
    this.detail = detail
  }
}

// ---- tokenizer ----------------------------------------------------------------------------------

type TokenKind =
  | 'label' | 'string' | '{' | '}' | ',' | '==' | '!=' | 'in' | 'not in' | '!' | 'contains' | 'starts with'
  | 'ends with' | 'all' | 'global' | 'has' | '(' | ')' | '&&' | '||' | 'eof'

interface Token {
  readonly kind: TokenKind
  readonly value: string
  readonly pos: number
}

const WHITESPACE = new Set([' ', '\t'])
const MAX_LABEL = 512

function isLabelChar(c: string | undefined): boolean {
  if (c === undefined) return false
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_' || c === '.' ||
    c === '/' || c === '-'
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const skipSpace = (): void => {
    while (i < input.length && WHITESPACE.has(input[i] as string)) i++
  }
  const readIdentifier = (): string => {
    const start = i
    while (isLabelChar(input[i])) i++
    if (i - start > MAX_LABEL) throw new SelectorError(input, start, `label key longer than ${MAX_LABEL} characters`)
    return input.slice(start, i)
  }
  for (;;) {
    skipSpace()
    if (i >= input.length) {
      tokens.push({ kind: 'eof', value: '', pos: i })
      return tokens
    }
    const pos = i
    const c = input[i] as string
    const last = tokens.at(-1)?.kind
    const push = (kind: TokenKind, len: number, value = ''): void => {
      tokens.push({ kind, value, pos })
      i += len
    }
    switch (c) {
      case '(': push('(', 1); continue
      case ')': push(')', 1); continue
      case '{': push('{', 1); continue
      case '}': push('}', 1); continue
      case ',': push(',', 1); continue
      case '"':
      case "'": {
        const end = input.indexOf(c, i + 1)
        if (end === -1) throw new SelectorError(input, pos, `unterminated string (no closing ${c})`)
        tokens.push({ kind: 'string', value: input.slice(i + 1, end), pos })
        i = end + 1
        continue
      }
      case '=':
        if (input[i + 1] === '=') { push('==', 2); continue }
        throw new SelectorError(input, pos, 'expected "==" (a single "=" is not an operator)')
      case '!':
        if (input[i + 1] === '=') push('!=', 2)
        else push('!', 1)
        continue
      case '&':
        if (input[i + 1] === '&') { push('&&', 2); continue }
        throw new SelectorError(input, pos, 'expected "&&"')
      case '|':
        if (input[i + 1] === '|') { push('||', 2); continue }
        throw new SelectorError(input, pos, 'expected "||"')
      case '\n':
      case '\r':
        throw new SelectorError(input, pos, 'line break in selector (Calico accepts only spaces and tabs between tokens)')
    }
    const rest = input.slice(i)
    if (last === 'label') {
      // After a label key, Calico's tokenizer looks for a word operator rather than another label.
      if (rest.startsWith('contains')) { push('contains', 'contains'.length); continue }
      const twoWord = (first: string, second: string, kind: TokenKind): boolean => {
        if (!rest.startsWith(first)) return false
        i += first.length
        skipSpace()
        if (!input.startsWith(second, i)) {
          throw new SelectorError(input, i, `expected "${second}" after "${first}"`)
        }
        tokens.push({ kind, value: '', pos })
        i += second.length
        return true
      }
      if (twoWord('starts', 'with', 'starts with')) continue
      if (twoWord('ends', 'with', 'ends with')) continue
      if (twoWord('not', 'in', 'not in')) continue
      if (rest.startsWith('in')) { push('in', 2); continue }
      throw new SelectorError(input, pos,
        `expected an operator after label "${tokens.at(-1)?.value ?? ''}" ` +
        '(==, !=, in, not in, contains, starts with, ends with)')
    }
    const fn = /^(has|all|global)\(/.exec(rest)
    if (fn) {
      const name = fn[1] as 'has' | 'all' | 'global'
      i += fn[0].length
      skipSpace()
      let key = ''
      if (name === 'has') {
        const keyPos = i
        key = readIdentifier()
        if (key === '') throw new SelectorError(input, keyPos, 'expected a label key inside has( )')
        skipSpace()
      }
      if (input[i] !== ')') throw new SelectorError(input, i, `expected ")" to close ${name}(`)
      i++
      tokens.push({ kind: name, value: key, pos })
      continue
    }
    if (isLabelChar(c)) {
      tokens.push({ kind: 'label', value: readIdentifier(), pos })
      continue
    }
    throw new SelectorError(input, pos, `unexpected character ${JSON.stringify(c)}`)
  }
}

// ---- parser -------------------------------------------------------------------------------------

const BINARY_OPS = new Set<TokenKind>(['==', '!=', 'contains', 'starts with', 'ends with'])

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of selector'
  if (t.kind === 'label') return `label ${JSON.stringify(t.value)}`
  if (t.kind === 'string') return `string ${JSON.stringify(t.value)}`
  return JSON.stringify(t.kind)
}

class Parser {
  private i = 0
  private readonly input: string
  private readonly tokens: Token[]
  constructor(input: string, tokens: Token[]) {
    this.input = input
    this.tokens = tokens
  }

  private peek(): Token {
    return this.tokens[this.i] ?? (this.tokens.at(-1) as Token)
  }

  private next(): Token {
    const t = this.peek()
    if (t.kind !== 'eof') this.i++
    return t
  }

  private fail(t: Token, detail: string): never {
    throw new SelectorError(this.input, t.pos, detail)
  }

  parseRoot(): SelectorNode {
    if (this.peek().kind === 'eof') return { op: 'all' }
    const node = this.parseOr()
    const t = this.peek()
    if (t.kind !== 'eof') {
      this.fail(t, `unexpected ${describe(t)} (expected "&&", "||" or the end of the selector)`)
    }
    return node
  }

  private parseOr(): SelectorNode {
    const operands = [this.parseAnd()]
    while (this.peek().kind === '||') {
      this.next()
      operands.push(this.parseAnd())
    }
    return operands.length === 1 ? (operands[0] as SelectorNode) : { op: '||', operands }
  }

  private parseAnd(): SelectorNode {
    const operands = [this.parseOperation()]
    while (this.peek().kind === '&&') {
      this.next()
      operands.push(this.parseOperation())
    }
    return operands.length === 1 ? (operands[0] as SelectorNode) : { op: '&&', operands }
  }

  private parseOperation(): SelectorNode {
    // Leading "!"s collapse into one negation of the following operation (parser.go parseOperation).
    let negated = false
    while (this.peek().kind === '!') {
      this.next()
      negated = !negated
    }
    const node = this.parseTerm()
    return negated ? { op: '!', operand: node } : node
  }

  private parseTerm(): SelectorNode {
    const t = this.next()
    switch (t.kind) {
      case 'has': return { op: 'has', key: t.value }
      case 'all': return { op: 'all' }
      case 'global': return { op: 'global' }
      case '(': {
        const inner = this.parseOr()
        const close = this.next()
        if (close.kind !== ')') this.fail(close, `expected ")" but found ${describe(close)}`)
        return inner
      }
      case 'label': return this.parseLabelOperation(t)
      case 'eof': return this.fail(t, 'unexpected end of selector (expected an expression)')
      default: return this.fail(t, `unexpected ${describe(t)} (expected a label, has(), all(), global(), "!" or "(")`)
    }
  }

  private parseLabelOperation(label: Token): SelectorNode {
    const opTok = this.next()
    const key = label.value
    if (BINARY_OPS.has(opTok.kind)) {
      const value = this.next()
      if (value.kind !== 'string') this.fail(value, `expected a quoted string after "${opTok.kind}" but found ${describe(value)}`)
      const op = opTok.kind as '==' | '!=' | 'contains' | 'starts with' | 'ends with'
      return { op, key, value: value.value }
    }
    if (opTok.kind === 'in' || opTok.kind === 'not in') {
      const open = this.next()
      if (open.kind !== '{') this.fail(open, `expected "{" to start the set after "${opTok.kind}" but found ${describe(open)}`)
      const values: string[] = []
      // Mirrors parser.go: strings separated by commas; a trailing comma and the empty set are accepted.
      while (this.peek().kind === 'string') {
        values.push(this.next().value)
        if (this.peek().kind === ',') this.next()
        else break
      }
      const close = this.next()
      if (close.kind !== '}') this.fail(close, `expected "}" or a quoted string in the set but found ${describe(close)}`)
      const unique = [...new Set(values)].sort()
      return { op: opTok.kind, key, values: unique }
    }
    return this.fail(opTok, `expected an operator after label "${key}" but found ${describe(opTok)}`)
  }
}

/** Parses a Calico selector; throws SelectorError (with the column) on a bad one. An empty selector is all(). */
export function parseSelector(selector: string): SelectorNode {
  return new Parser(selector, tokenize(selector)).parseRoot()
}

// ---- evaluation ---------------------------------------------------------------------------------

/**
 * Evaluates a selector against a label map. `all()` and `global()` both evaluate to true, as in Calico's AST
 * (ast.go AllNode/GlobalNode); their scope meaning is implemented by the rewrites below, the way Calico does it.
 */
export function evaluateSelector(node: SelectorNode, labels: Labels): boolean {
  switch (node.op) {
    case 'all':
    case 'global':
      return true
    case 'has':
      return Object.hasOwn(labels, node.key)
    case '==':
      return Object.hasOwn(labels, node.key) && labels[node.key] === node.value
    case '!=':
      // Matches when the label is absent, or present with another value.
      return !Object.hasOwn(labels, node.key) || labels[node.key] !== node.value
    case 'contains':
      return Object.hasOwn(labels, node.key) && (labels[node.key] as string).includes(node.value)
    case 'starts with':
      return Object.hasOwn(labels, node.key) && (labels[node.key] as string).startsWith(node.value)
    case 'ends with':
      return Object.hasOwn(labels, node.key) && (labels[node.key] as string).endsWith(node.value)
    case 'in':
      return Object.hasOwn(labels, node.key) && node.values.includes(labels[node.key] as string)
    case 'not in':
      // Matches when the label is absent, or present with a value outside the set.
      return !Object.hasOwn(labels, node.key) || !node.values.includes(labels[node.key] as string)
    case '!':
      return !evaluateSelector(node.operand, labels)
    case '&&':
      return node.operands.every((o) => evaluateSelector(o, labels))
    case '||':
      return node.operands.some((o) => evaluateSelector(o, labels))
  }
}

// ---- rewrites (what libcalico-go's update processors do before Felix sees a selector) -------------

/** Prefixes every label key (PrefixVisitor): `k == "v"` → `pcns.k == "v"`. */
export function prefixLabels(node: SelectorNode, prefix: string): SelectorNode {
  switch (node.op) {
    case 'all':
    case 'global':
      return node
    case '!':
      return { op: '!', operand: prefixLabels(node.operand, prefix) }
    case '&&':
    case '||':
      return { op: node.op, operands: node.operands.map((o) => prefixLabels(o, prefix)) }
    default:
      return { ...node, key: prefix + node.key }
  }
}

/** Replaces every all() / global() node (Calico does this by string replacement on the rendered selector). */
export function replaceFunctions(
  node: SelectorNode,
  replacements: { readonly all?: SelectorNode; readonly global?: SelectorNode },
): SelectorNode {
  switch (node.op) {
    case 'all':
      return replacements.all ?? node
    case 'global':
      return replacements.global ?? node
    case '!':
      return { op: '!', operand: replaceFunctions(node.operand, replacements) }
    case '&&':
    case '||':
      return { op: node.op, operands: node.operands.map((o) => replaceFunctions(o, replacements)) }
    default:
      return node
  }
}

export function and(...operands: SelectorNode[]): SelectorNode {
  const flat = operands.flatMap((o) => (o.op === '&&' ? o.operands : [o]))
  return flat.length === 1 ? (flat[0] as SelectorNode) : { op: '&&', operands: flat }
}

function quote(s: string): string {
  return s.includes('"') ? `'${s}'` : `"${s}"`
}

/** Canonical text of a selector, in the style of Calico's Selector.String(). */
export function selectorToString(node: SelectorNode): string {
  switch (node.op) {
    case 'all': return 'all()'
    case 'global': return 'global()'
    case 'has': return `has(${node.key})`
    case 'in':
    case 'not in':
      return `${node.key} ${node.op} {${node.values.map(quote).join(', ')}}`
    case '!': return `!${selectorToString(node.operand)}`
    case '&&':
    case '||':
      return `(${node.operands.map(selectorToString).join(` ${node.op} `)})`
    default:
      return `${node.key} ${node.op} ${quote(node.value)}`
  }
}
