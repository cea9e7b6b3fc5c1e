import { describe, expect, it } from 'vitest'
import { renderSystemPrompt } from '../../src/agents/config'

describe('renderSystemPrompt', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(renderSystemPrompt('Hi {name}, from {company_name}. {missing}', { name: 'Ada', company_name: 'Acme' })).toBe(
      'Hi Ada, from Acme. {missing}',
    )
  })

  it('handles literal braces, numbers, booleans, lists, and never evaluates anything', () => {
    expect(
      renderSystemPrompt('{{x}} {n} {b} {list} {obj} {__proto__} {constructor}', {
        n: 5,
        b: false,
        list: ['a', 'b'],
        obj: { nested: true },
      }),
    ).toBe('{x} 5 false a, b {obj} {__proto__} {constructor}')
  })

  it('does not re-expand values that contain placeholders', () => {
    expect(renderSystemPrompt('{a}', { a: '{b}', b: 'no' })).toBe('{b}')
  })

  it('copes with unbalanced and odd templates', () => {
    for (const template of ['{', '}', '{ name }', '{1abc}', '{{{name}}}', '']) {
      expect(() => renderSystemPrompt(template, { name: 'x' })).not.toThrow()
    }
    expect(renderSystemPrompt('{{{name}}}', { name: 'x' })).toBe('{x}')
  })
})
