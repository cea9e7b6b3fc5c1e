export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Any 8-4-4-4-12 hex id (Postgres `uuid` accepts every version, the nil id included). */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)
