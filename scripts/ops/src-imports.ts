// Lets Node run the Worker's own modules (src/, written for a bundler: `./client`, `./schema`) so the
// ops CLI applies the same rule code as the Worker: an extensionless relative import that Node cannot
// resolve is retried as `<name>.ts`, then `<name>/index.ts`.
import { registerHooks } from 'node:module'

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      const relative = specifier.startsWith('./') || specifier.startsWith('../')
      const code = (error as { code?: string }).code
      if (!relative || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT')) throw error
      for (const candidate of [`${specifier}.ts`, `${specifier}/index.ts`]) {
        try {
          return nextResolve(candidate, context)
        } catch {}
      }
      throw error
    }
  },
})
