import type { Context } from 'hono'
import type { HonoEnv } from '../../types'

export type FormValues = Record<string, string | string[]>

/** The submitted form as strings (files dropped); repeated names become arrays. */
export async function readForm(c: Context<HonoEnv>): Promise<FormValues> {
  const type = c.req.header('Content-Type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return {}
  // A form body that does not parse never gets here: src/http/text-guard.ts refuses it with a 400.
  return formValues(await c.req.parseBody({ all: true }))
}

/** A parsed form's string values (files and anything else dropped); repeated names stay arrays. */
export function formValues(raw: unknown): FormValues {
  const out: FormValues = {}
  if (typeof raw !== 'object' || raw === null) return out
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') out[key] = value
    else if (Array.isArray(value)) {
      const strings = value.filter((v): v is string => typeof v === 'string')
      if (strings.length > 0) out[key] = strings
    }
  }
  return out
}

/** One value of a form field (the last, when repeated), trimmed. */
export function field(form: FormValues, name: string): string {
  const value = form[name]
  const last = Array.isArray(value) ? value.at(-1) : value
  return (last ?? '').trim()
}

/** A path on this site (`/x?y`), never another origin: for `next=` redirects. */
export function localPath(target: string | null | undefined): string | null {
  if (!target) return null
  let path = target
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target)
      path = `${url.pathname}${url.search}`
    } catch {
      return null
    }
  }
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return null
  if ([...path].some((ch) => ch.charCodeAt(0) < 0x20 || ch === '\\')) return null
  return path
}

/** Whether HTMX sent this request (an enhancement; every route also answers plain browsers). */
export const isHtmx = (c: Context<HonoEnv>) => c.req.header('HX-Request') === 'true'
