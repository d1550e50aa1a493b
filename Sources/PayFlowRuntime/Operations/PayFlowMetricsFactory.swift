import CoreMetrics
import Prometheus

/// swift-metrics → Prometheus, with a `# HELP` line for every metric.
///
/// Why not `PrometheusMetricsFactory` as is: it registers every metric with an
/// empty help text, and `promtool check metrics` rejects a page without help.
/// The registry takes help only at creation, so this factory looks the text up
/// by metric name (``MetricsCatalog``) when swift-metrics first asks for it.
struct PayFlowMetricsFactory: CoreMetrics.MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private func help(_ name: String) -> String {
        MetricsCatalog.help[name] ?? "PayFlow metric \(name)."
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        self.registry.makeCounter(name: label, labels: dimensions, help: self.help(label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        self.registry.makeCounter(name: label, labels: dimensions, help: self.help(label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else {
            return self.registry.makeGauge(name: label, labels: dimensions, help: self.help(label))
        }
        return self.registry.makeValueHistogram(
            name: label, labels: dimensions,
            buckets: MetricsCatalog.valueBuckets[label] ?? MetricsCatalog.defaultValueBuckets,
            help: self.help(label)
        )
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        self.registry.makeGauge(name: label, labels: dimensions, help: self.help(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        self.registry.makeDurationHistogram(
            name: label, labels: dimensions,
            buckets: MetricsCatalog.durationBuckets[label] ?? MetricsCatalog.defaultDurationBuckets,
            help: self.help(label)
        )
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { self.registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { self.registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: self.registry.unregisterGauge(gauge)
        case let histogram as Prometheus.Histogram<Double>: self.registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { self.registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Prometheus.Histogram<Duration> { self.registry.unregisterDurationHistogram(histogram) }
    }
}
