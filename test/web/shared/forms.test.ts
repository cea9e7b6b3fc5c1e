import { describe, expect, it } from 'vitest'
import { localPath } from '../../../src/web/shared/forms'
import { BASE, call } from '../../support/http'

describe('localPath (next= redirects)', () => {
  it('keeps a path on this site and drops the origin of an absolute URL', () => {
    expect(localPath('/knowledge/1?tab=docs')).toBe('/knowledge/1?tab=docs')
    expect(localPath('https://evil.example/dashboard?x=1')).toBe('/dashboard?x=1')
  })

  it('refuses what is not a local path, an absolute URL that does not parse included', () => {
    for (const target of ['http://[not-a-host/', '//evil.example/', '/\\evil.example', 'dashboard', '/a\nb', null]) {
      expect(localPath(target)).toBeNull()
    }
  })
})

describe('form bodies that do not parse', () => {
  it('a multipart sign-up without a boundary: 400 with a readable page, not a 500', async () => {
    const res = await call('/signup', {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data', Origin: BASE, 'CF-Connecting-IP': '198.51.100.77' },
      body: 'not a multipart body',
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('Content-Type')).toMatch(/text\/html/)
    expect(await res.text()).toContain('This form could not be read')
  })
})
