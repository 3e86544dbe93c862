// The OpenTelemetry JS logs SDK in the browser, as a site that already uses
// it would send events: bundled by esbuild for the interop test's /otel page.
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'

window.sendPageViewWithOpenTelemetry = async ({ collector, site }) => {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otel-sdk-page', 'footfall.site.id': site }),
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: collector + '/v1/logs' }) })],
  })
  const id = crypto.randomUUID()
  provider.getLogger('otel-sdk-page').emit({
    eventName: 'browser.page_view',
    attributes: { 'log.record.uid': id, 'url.full': location.href, 'footfall.referrer': document.referrer },
  })
  await provider.forceFlush()
  return id
}
