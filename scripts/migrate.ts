import { applyMigrations } from './migrations.ts'

const url = process.env.DATABASE_URL
if (!url) {
  console.error('Set DATABASE_URL (e.g. your Neon connection string) to migrate.')
  process.exit(1)
}
const applied = await applyMigrations(url)
console.log(`Migrations applied: ${applied} in total.`)
