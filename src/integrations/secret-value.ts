const values = new WeakMap<Secret, string>()
const MASK = '[secret]'

/**
 * A decrypted secret held in memory. It prints as `[secret]` everywhere (`String()`, template
 * strings, `JSON.stringify`, `console.log`/`util.inspect`); only `reveal()` gives the value.
 * The value lives outside the object, so no property walk can find it.
 */
export class Secret {
  constructor(value: string) {
    values.set(this, value)
  }

  reveal(): string {
    return values.get(this) ?? ''
  }

  get isEmpty(): boolean {
    return this.reveal() === ''
  }

  toString(): string {
    return MASK
  }

  toJSON(): string {
    return MASK
  }

  [Symbol.toPrimitive](): string {
    return MASK
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return MASK
  }
}

export const secretOrNull = (value: string | null): Secret | null => (value === null ? null : new Secret(value))
