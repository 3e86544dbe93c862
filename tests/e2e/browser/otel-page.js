// The OpenTelemetry JS logs SDK in the browser, as a site that already uses
// it would send events: bundled by esbuild for the interop test's /otel page.
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'

window.sendPageViewWithOpenTelemetry = async ({ collector, site }) => {
  // forceFlush may resolve before the request is answered; the export's own
  // callback says when the collector has answered, and how.
  const otlp = new OTLPLogExporter({ url: collector + '/v1/logs' })
  let answered
  const answer = new Promise((resolve) => (answered = resolve))
  const exporter = {
    export: (logs, done) =>
      otlp.export(logs, (result) => {
        done(result)
        answered(result)
      }),
    forceFlush: () => otlp.forceFlush(),
    shutdown: () => otlp.shutdown(),
  }
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otel-sdk-page', 'footfall.site.id': site }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  })
  const id = crypto.randomUUID()
  provider.getLogger('otel-sdk-page').emit({
    eventName: 'browser.page_view',
    attributes: { 'log.record.uid': id, 'url.full': location.href, 'footfall.referrer': document.referrer },
  })
  const result = await answer
  if (result.code !== 0) throw new Error('OTLP export failed: ' + result.error)
  return id
}
