// Calico selector language: parsing, precedence, evaluation and error positions.
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  and,
  evaluateSelector,
  parseSelector,
  prefixLabels,
  replaceFunctions,
  SelectorError,
  selectorToString,
} from './selector.ts'

const canon = (s: string): string => selectorToString(parseSelector(s))
const matches = (s: string, labels: Record<string, string>): boolean => evaluateSelector(parseSelector(s), labels)

function parseError(s: string): SelectorError {
  try {
    parseSelector(s)
  } catch (e) {
    assert.ok(e instanceof SelectorError, `expected a SelectorError for ${JSON.stringify(s)}, got ${String(e)}`)
    return e
  }
  assert.fail(`expected ${JSON.stringify(s)} to be rejected`)
}

describe('selector precedence', () => {
  it('brackets the documentation example as (!has) || (starts with && in)', () => {
    assert.equal(
      canon(`! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}`),
      '(!has(my-label) || (my-label starts with "prod" && role in {"business", "frontend"}))',
    )
  })

  it('binds && tighter than ||, whichever comes first', () => {
    assert.equal(canon('a == "1" || b == "2" && c == "3"'), '(a == "1" || (b == "2" && c == "3"))')
    assert.equal(canon('a == "1" && b == "2" || c == "3"'), '((a == "1" && b == "2") || c == "3")')
    assert.equal(matches('a == "1" || b == "2" && c == "3"', { b: '2' }), false)
    assert.equal(matches('a == "1" || b == "2" && c == "3"', { b: '2', c: '3' }), true)
    assert.equal(matches('a == "1" && b == "2" || c == "3"', { c: '3' }), true)
  })

  it('applies ! to the next operation only, and collapses repeated !', () => {
    assert.equal(canon('!a == "x" && b == "y"'), '(!a == "x" && b == "y")')
    assert.equal(matches('!a == "x" && b == "y"', { b: 'y' }), true)
    assert.equal(canon('!!has(a)'), 'has(a)')
    assert.equal(canon('!!!has(a)'), '!has(a)')
    assert.equal(canon('!(a == "x" || b == "y")'), '!(a == "x" || b == "y")')
    assert.equal(matches('!(a == "x" || b == "y")', { b: 'y' }), false)
  })

  it('lets parentheses override precedence', () => {
    assert.equal(canon('(a == "1" || b == "2") && c == "3"'), '((a == "1" || b == "2") && c == "3")')
    assert.equal(matches('(a == "1" || b == "2") && c == "3"', { a: '1' }), false)
    assert.equal(matches('(a == "1" || b == "2") && c == "3"', { a: '1', c: '3' }), true)
  })
})

describe('selector operators', () => {
  const prod = { env: 'prod', version: 'v1.2' }
  const none = {}
  const cases: [string, boolean, boolean][] = [
    // selector, matches {env: prod, version: v1.2}, matches {}
    ['env == "prod"', true, false],
    ['env != "prod"', false, true],
    ['env != "dev"', true, true],
    ['has(env)', true, false],
    ['!has(env)', false, true],
    ['env in {"prod", "staging"}', true, false],
    ['env not in {"prod", "staging"}', false, true],
    ['env in {}', false, false],
    ['env not in {}', true, true],
    ['version contains ".2"', true, false],
    ['version starts with "v1"', true, false],
    ['version ends with ".2"', true, false],
    ['!version contains "x"', true, true],
    ['all()', true, true],
    ['!all()', false, false],
    ['global()', true, true],
    ['', true, true],
    [' \t ', true, true],
  ]
  for (const [sel, onProd, onNone] of cases) {
    it(`${JSON.stringify(sel)} → ${onProd}/${onNone}`, () => {
      assert.equal(matches(sel, prod), onProd)
      assert.equal(matches(sel, none), onNone)
    })
  }

  it('accepts single quotes, tabs, spaces inside has( ), and a trailing comma in a set', () => {
    assert.equal(canon("env\t==\t'prod'"), 'env == "prod"')
    assert.equal(canon('has( env )'), 'has(env)')
    assert.equal(canon('env in {"a", "b",}'), 'env in {"a", "b"}')
    assert.equal(matches(`msg == 'say "hi"'`, { msg: 'say "hi"' }), true)
  })

  it('takes label keys with dots, slashes, dashes and underscores', () => {
    assert.equal(matches('projectcalico.org/namespace == "x"', { 'projectcalico.org/namespace': 'x' }), true)
    assert.equal(matches('has(app.kubernetes.io/part_of-x)', { 'app.kubernetes.io/part_of-x': '' }), true)
  })
})

describe('selector errors carry the column', () => {
  const cases: [string, number, RegExp][] = [
    ['a = "x"', 2, /"=="/],
    ['a == x', 5, /quoted string/],
    ['a == "x', 5, /unterminated/],
    ['(a == "x"', 9, /"\)"/],
    ['a == "x" b == "y"', 9, /unexpected label "b"/],
    ['has(a', 5, /"\)" to close has/],
    ['has()', 4, /label key inside has/],
    ['a in {"x"', 9, /"}"/],
    ['a in "x"', 5, /"\{"/],
    ['&& a == "x"', 0, /unexpected "&&"/],
    ['a == "x" &', 9, /"&&"/],
    ['a == "x" | b == "y"', 9, /"\|\|"/],
    ['a starts "x"', 9, /"with"/],
    ['a', 1, /operator after label "a"/],
    ['a ~ "x"', 2, /operator after label "a"/],
    ['a == "x" ||', 11, /end of selector/],
    ['a == "x"\n&& b == "y"', 8, /line break/],
    ['#', 0, /unexpected character/],
  ]
  for (const [sel, position, message] of cases) {
    it(`${JSON.stringify(sel)} at column ${position + 1}`, () => {
      const e = parseError(sel)
      assert.equal(e.position, position, e.message)
      assert.match(e.detail, message)
      assert.match(e.message, new RegExp(`column ${position + 1}`))
      assert.ok(e.message.includes(`\n  ${' '.repeat(position)}^`), 'message shows a caret under the column')
    })
  }
})

describe('selector rewrites (what Calico does before Felix sees a selector)', () => {
  it('prefixes label keys but not all()/global()', () => {
    const s = prefixLabels(parseSelector('a == "1" && has(b) && !c in {"x"} || all()'), 'pcns.')
    assert.equal(selectorToString(s), '((pcns.a == "1" && has(pcns.b) && !pcns.c in {"x"}) || all())')
  })

  it('replaces all() and global() nodes', () => {
    const s = replaceFunctions(parseSelector('all() || !global()'), {
      all: { op: 'has', key: 'projectcalico.org/namespace' },
      global: { op: '!', operand: { op: 'has', key: 'projectcalico.org/namespace' } },
    })
    assert.equal(selectorToString(s), '(has(projectcalico.org/namespace) || !!has(projectcalico.org/namespace))')
  })

  it('flattens nested conjunctions', () => {
    assert.equal(selectorToString(and(parseSelector('a == "1" && b == "2"'), parseSelector('c == "3"'))), '(a == "1" && b == "2" && c == "3")')
  })
})
