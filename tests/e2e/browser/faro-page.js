// The Grafana Faro Web SDK with its default instrumentations and fetch
// transport, as a site that already runs it would send: bundled by esbuild
// for the drop-in test's /faro/* pages (tests/e2e/dropin_test.go).
import { getWebInstrumentations, initializeFaro } from '@grafana/faro-web-sdk'

const { collector, app } = window.FOOTFALL_E2E
const faro = initializeFaro({
  url: collector + '/collect',
  app: { name: app, version: '1.0.0' },
  instrumentations: getWebInstrumentations({ captureConsole: false }),
})

// A goal with a value, as docs/ingest.md tells Faro users to send one.
window.faroSignup = () =>
  faro.api.pushEvent('signup', { plan: 'pro', 'footfall.goal.value': '10', 'footfall.goal.currency': 'EUR' })
