// The Plausible tracker from npm, as a site that already runs it would send:
// bundled by esbuild for the drop-in test's /plausible/* pages
// (tests/e2e/dropin_test.go).
import { init, track } from '@plausible-analytics/tracker'

const { collector, domain } = window.FOOTFALL_E2E
init({ domain, endpoint: collector + '/api/event', captureOnLocalhost: true })

window.plausibleSignup = () =>
  track('signup', { props: { plan: 'pro' }, revenue: { amount: 10, currency: 'EUR' } })
