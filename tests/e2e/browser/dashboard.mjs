// Opens the live dashboard in Debian's Chromium, then sends page views of
// three visitors to the collector and times how long the page takes to show
// them: the current-visitors number and the page-views chart.
// tests/e2e/browser_test.go runs this. Usage: node dashboard.mjs '<json options>'
//   { dashboard, intake, origin, outputDir }
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const opts = JSON.parse(process.argv[2])
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
})
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
page.on('pageerror', (e) => console.log('page error:', e.message))
await page.goto(opts.dashboard)
// The first snapshot (empty, or with numbers from before) has arrived.
await page.waitForFunction(() => document.body.dataset.seq || document.querySelector('.empty'))

const sendPageView = (visitor) =>
  fetch(opts.intake + '/v1/logs', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Origin: opts.origin,
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Dashboard/' + visitor,
    },
    body: JSON.stringify({
      resourceLogs: [{
        resource: { attributes: [{ key: 'footfall.site.id', value: { stringValue: 'demo' } }] },
        scopeLogs: [{ logRecords: [{
          timeUnixNano: Date.now() + '000000',
          eventName: 'browser.page_view',
          attributes: [
            { key: 'log.record.uid', value: { stringValue: crypto.randomUUID() } },
            { key: 'url.full', value: { stringValue: opts.origin + '/pricing' } },
          ],
        }] }],
      }],
    }),
  }).then((r) => {
    if (r.status != 200) throw new Error('intake answered ' + r.status)
  })

const sent = Date.now()
await Promise.all([1, 2, 3].map(sendPageView))
const current = page
  .waitForFunction(() => Number(document.querySelector('.site[data-site="demo"] .current')?.textContent) >= 3, null, { timeout: 10000, polling: 20 })
  .then(() => Date.now() - sent)
const chart = page
  .waitForFunction(() => Number(document.querySelector('.site[data-site="demo"] .chart')?.dataset.total) >= 3, null, { timeout: 10000, polling: 20 })
  .then(() => Date.now() - sent)
const result = { currentVisitorsMs: await current, chartMs: await chart }
// The top lists of the last five minutes: the three page views of /pricing,
// and the three sessions at the first step of the signup funnel. The click is
// held 150 ms, as a person's is, while snapshots arrive four times a second:
// a picker made again at each snapshot lost such clicks.
await page.click('.site[data-site="demo"] .picker button[data-window="5m"]', { delay: 150 })
result.pressed = await page.getAttribute('.site[data-site="demo"] .picker button[aria-pressed="true"]', 'data-window')
const listed = (name) =>
  [...document.querySelectorAll(`.site[data-site="demo"] .lists[data-window="5m"] [data-list="${name}"] li`)].map((li) => li.textContent)
await page.waitForFunction(
  (name) => [...document.querySelectorAll(`.site[data-site="demo"] .lists[data-window="5m"] [data-list="${name}"] li`)].some((li) => li.textContent.endsWith('3')),
  'Funnels',
  { timeout: 10000, polling: 50 },
)
result.pages5m = await page.evaluate(listed, 'Top pages')
result.funnels5m = await page.evaluate(listed, 'Funnels')
mkdirSync(opts.outputDir, { recursive: true })
await page.screenshot({ path: join(opts.outputDir, 'liveview.png'), fullPage: true })
console.log('RESULT ' + JSON.stringify(result))
await browser.close()
