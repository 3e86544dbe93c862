// Runs the queries of docs/archive.md over an archive directory with DuckDB
// and prints, per site, the page views, sessions, bounces and signups, as
// JSON. tests/e2e/archive_test.go compares them with the ground truth.
// Usage: node query.mjs <archive directory>
import { DuckDBInstance } from '@duckdb/node-api'

const dir = process.argv[2]
const db = await DuckDBInstance.create(':memory:')
const conn = await db.connect()

async function rows(sql) {
  const reader = await conn.runAndReadAll(sql)
  return reader.getRowObjectsJson()
}

const events = `read_parquet('${dir}/kind=events/*/*/*/*.parquet', hive_partitioning = true)`
const sessions = `read_parquet('${dir}/kind=sessions/*/*/*/*.parquet', hive_partitioning = true)`
const bySite = {}
const put = (site, key, value) => ((bySite[site] ??= {})[key] = Number(value))

for (const r of await rows(`
  SELECT site, count(DISTINCT event_id) AS page_views FROM ${events}
  WHERE event_name = 'browser.page_view' GROUP BY site`)) put(r.site, 'page_views', r.page_views)
for (const r of await rows(`
  SELECT site, count(DISTINCT event_id) AS signups FROM ${events}
  WHERE event_name = 'signup' GROUP BY site`)) put(r.site, 'signups', r.signups)
for (const r of await rows(`
  SELECT site, count(*) AS sessions, sum(bounce::int) AS bounces
  FROM (SELECT DISTINCT ON (session_id) * FROM ${sessions}) GROUP BY site`)) {
  put(r.site, 'sessions', r.sessions)
  put(r.site, 'bounces', r.bounces)
}
const [files] = await rows(`SELECT count(*) AS files FROM glob('${dir}/kind=*/*/*/*/*.parquet')`)
console.log(JSON.stringify({ sites: bySite, files: Number(files.files) }))
