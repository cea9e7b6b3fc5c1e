// The layering the code is built on, checked on every import: features use each other's
// public domain modules, never another feature's web internals; the domain never speaks
// HTTP; routes hold no SQL; tests share helpers only through test/support.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return filesUnder(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

interface Import {
  from: string
  /** A project path (`src/web/shared/layout`) for relative imports, else the package name as written. */
  target: string
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  return [...text.matchAll(/(?:^|\s)(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/gm)].map(([, specifier]) => ({
    from: file,
    target: specifier!.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier!)) : specifier!,
  }))
}

const all = [...filesUnder('src'), ...filesUnder('queues'), ...filesUnder('test')].flatMap(importsOf)
const describeImport = (i: Import) => `${i.from} imports ${i.target}`

const WEB_FEATURE = /^src\/web\/([^/]+)\//
/** Folders of domain code: rules and queries, no requests or responses. */
const DOMAIN =
  /^src\/(?:(?:agents|billing|customers|db|integrations|jobs|knowledge|notifications|ops|platform)\/|errors\.ts$)/

describe('import boundaries', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(all.length).toBeGreaterThan(500)
    expect(all).toContainEqual({ from: 'src/web/app.ts', target: 'src/web/agents/routes' })
  })

  it('a web feature imports another feature only through the domain, never its pages or routes', () => {
    const crossing = all.filter((i) => {
      const from = WEB_FEATURE.exec(i.from)?.[1]
      const to = WEB_FEATURE.exec(`${i.target}/`)?.[1]
      return from && to && from !== to && to !== 'shared'
    })
    expect(crossing.map(describeImport)).toEqual([])
  })

  it('the internal API and the web app do not import each other', () => {
    const crossing = all.filter(
      (i) =>
        (i.from.startsWith('src/api/') && i.target.startsWith('src/web/')) ||
        (i.from.startsWith('src/web/') && i.target.startsWith('src/api/')),
    )
    expect(crossing.map(describeImport)).toEqual([])
  })

  it('the domain does not speak HTTP: no hono, no web, API or HTTP-layer modules', () => {
    const http = all.filter(
      (i) => DOMAIN.test(i.from) && (/^hono(\/|$)/.test(i.target) || /^src\/(web|api|http)\//.test(i.target)),
    )
    expect(http.map(describeImport)).toEqual([])
  })

  it('routes hold no SQL: the web app and the API reach the database only through domain functions', () => {
    const http = (file: string) => /^src\/(web|api)\//.test(file)
    const queryBuilding = all.filter((i) => http(i.from) && /^drizzle-orm(\/|$)/.test(i.target))
    expect(queryBuilding.map(describeImport)).toEqual([])
    const statements = [...filesUnder('src/web'), ...filesUnder('src/api')].filter((file) =>
      /\.execute\(|\bsql`|\.(select|insert|update|delete)\(/.test(readFileSync(join(ROOT, file), 'utf8')),
    )
    expect(statements).toEqual([])
    // The scan would see one: a domain module that builds statements.
    expect(/\.execute\(|\bsql`/.test(readFileSync(join(ROOT, 'src/ops/actions.ts'), 'utf8'))).toBe(true)
  })

  it('no deep import into a package’s internal files', () => {
    const deep = all.filter((i) => /^(?:@[^/]+\/)?[^./@][^/]*\/(?:src|dist|esm|cjs|lib|internal)\//.test(i.target))
    expect(deep.map(describeImport)).toEqual([])
  })

  it('tests share helpers only through test/support (and fixtures), never another area’s files', () => {
    const crossing = all.filter((i) => {
      if (!i.from.startsWith('test/') || !i.target.startsWith('test/')) return false
      if (/^test\/(support|fixtures)\//.test(i.target)) return false
      const area = (path: string) => path.split('/').slice(0, 2).join('/')
      return area(i.from) !== area(i.target)
    })
    expect(crossing.map(describeImport)).toEqual([])
  })
})
