import { sql } from 'drizzle-orm'

/** A list of uuids as ONE bound parameter: `id IN (${uuidList(ids)})`. */
export const uuidList = (ids: readonly string[]) =>
  sql`SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid`
