// Property tests of the wizard's field validation: any input, for any well-formed field spec,
// is either accepted as a value that satisfies the spec or rejected with a message; never a throw.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type FieldSpec, parseWizard } from '../../../src/agents/onboarding/schema'
import { validateFields } from '../../../src/agents/onboarding/validate'

const fieldSpec: fc.Arbitrary<FieldSpec> = fc
  .record({
    type: fc.constantFrom('text', 'textarea', 'select', 'checkbox', 'number', 'email', 'url'),
    required: fc.boolean(),
    min: fc.option(fc.integer({ min: -100, max: 100 }), { nil: undefined }),
    span: fc.integer({ min: 0, max: 100 }),
    min_length: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    extra_length: fc.integer({ min: 0, max: 20 }),
    pattern: fc.option(fc.constantFrom('[a-z]+', '[A-Z0-9-]{3,20}', '\\d{2,4}'), { nil: undefined }),
  })
  .map((r) => {
    const spec: Record<string, unknown> = { name: 'value', type: r.type, required: r.required }
    if (r.type === 'number' && r.min !== undefined) Object.assign(spec, { min: r.min, max: r.min + r.span })
    if (['text', 'textarea'].includes(r.type) && r.min_length !== undefined) {
      Object.assign(spec, { min_length: r.min_length, max_length: r.min_length + r.extra_length })
    }
    if (r.type === 'text' && r.pattern) spec.pattern = r.pattern
    if (r.type === 'select') spec.options = ['a', 'b', { value: 'c', label: 'C' }]
    const parsed = parseWizard({ steps: [{ id: 'one', fields: [spec] }] })
    if (!parsed.ok) throw new Error(parsed.problems.join('; '))
    const step = parsed.wizard.steps[0]!
    if (step.kind !== 'fields') throw new Error('expected a fields step')
    return step.fields[0]!
  })

const input = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('', ' ', 'a', 'b', 'c', 'on', 'ABC-1', 'user@example.com', 'https://example.com/x', '12'),
)

describe('validateFields (property)', () => {
  it('never throws; accepted values satisfy the spec, rejected ones carry a message', () => {
    fc.assert(
      fc.property(fieldSpec, fc.option(input, { nil: undefined }), (spec, raw) => {
        const result = validateFields([spec], raw === undefined ? {} : { value: raw })
        const error = result.errors.value
        const value = result.values.value
        if (error !== undefined) {
          expect(error.length).toBeGreaterThan(0)
          expect(value).toBeUndefined()
          return
        }
        if (value === undefined) {
          expect(spec.required).toBe(false)
          return
        }
        switch (spec.type) {
          case 'checkbox':
            expect(typeof value).toBe('boolean')
            if (spec.required) expect(value).toBe(true)
            break
          case 'number':
            expect(Number.isFinite(value)).toBe(true)
            if (spec.min !== undefined) expect(value as number).toBeGreaterThanOrEqual(spec.min)
            if (spec.max !== undefined) expect(value as number).toBeLessThanOrEqual(spec.max)
            break
          case 'select':
            expect(spec.options?.map((o) => o.value)).toContain(value)
            break
          default: {
            expect(typeof value).toBe('string')
            const text = value as string
            expect(text).toBe(text.trim())
            expect(text.length).toBeGreaterThan(0)
            if (spec.min_length !== undefined) expect(text.length).toBeGreaterThanOrEqual(spec.min_length)
            if (spec.max_length !== undefined) expect(text.length).toBeLessThanOrEqual(spec.max_length)
            if (spec.pattern) expect(new RegExp(`^(?:${spec.pattern})$`, 'u').test(text)).toBe(true)
            if (spec.type === 'url') expect(/^https?:\/\//.test(text)).toBe(true)
            if (spec.type === 'email') expect(text).toContain('@')
          }
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('parseWizard never throws on arbitrary JSON and explains every rejection', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const parsed = parseWizard(raw)
        if (!parsed.ok) expect(parsed.problems.length).toBeGreaterThan(0)
      }),
      { numRuns: 1000 },
    )
  })
})
