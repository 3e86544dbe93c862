// The script-tag build:
//   <script defer src="https://collector.example/footfall.js" data-site="example"></script>
// Options are data attributes: data-site (required), data-api (the intake
// URL; default /v1/logs on the script's own origin), data-hash (count hash
// changes as page views), data-web-vitals (report LCP, INP and CLS),
// data-allow-automation (send from automated browsers too: a site's own
// end-to-end tests).
// Calls made before the script loaded, through the snippet
//   window.footfall = window.footfall || function () { (footfall.q = footfall.q || []).push(arguments) }
// are replayed in order.
import { createTracker } from './core.js'

const script = document.currentScript
const has = (name) => script.hasAttribute('data-' + name)
const pending = (window.footfall || {}).q || []
const track = createTracker({
  site: script.getAttribute('data-site'),
  endpoint: script.getAttribute('data-api') || new URL('/v1/logs', script.src).href,
  hash: has('hash'),
  webVitals: has('web-vitals'),
  allowAutomation: has('allow-automation'),
})
window.footfall = track
for (const args of pending) track(...args)
