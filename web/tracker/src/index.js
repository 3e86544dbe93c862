// The ES module build, for bundlers:
//   import { init, track } from '@footfall/tracker'
//   init({ site: 'example', endpoint: 'https://collector.example/v1/logs' })
//   track('signup', { plan: 'pro' })
import { createTracker } from './core.js'

let tracker = null
const pending = []

/**
 * init starts tracking; later calls are ignored.
 * @param {{site: string, endpoint: string, hash?: boolean, webVitals?: boolean,
 *          flushMs?: number, respectPrivacy?: boolean, allowAutomation?: boolean}} options
 */
export function init(options) {
  if (tracker) return
  tracker = createTracker(options)
  for (const args of pending.splice(0)) tracker(...args)
}

/** track sends a custom event; before init it is queued. */
export function track(name, props) {
  if (tracker) tracker(name, props)
  else pending.push([name, props])
}
