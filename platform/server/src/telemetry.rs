//! Logs and traces. Logs go to stderr (pretty, or JSON for log shippers);
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are also exported over
//! OTLP/HTTP, so one GraphQL operation is one trace.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Flushes exported spans when dropped at shutdown.
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("kentro: could not flush traces at shutdown: {e}");
        }
    }
}

/// `KENTRO_LOG` (or `RUST_LOG`) filters, e.g. `info,kentro=debug`.
fn filter() -> EnvFilter {
    let directives = std::env::var("KENTRO_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("kentro: ignoring the log filter {directives:?} ({e}); using \"info\"");
        EnvFilter::new("info")
    })
}

pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    let fmt_layer = match format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };

    let tracer_provider = match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Ok(endpoint) if !endpoint.trim().is_empty() => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .build()?;
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(Resource::builder().with_service_name("kentro").build())
                    .build(),
            )
        }
        _ => None,
    };
    let otel_layer = tracer_provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("kentro")));

    tracing_subscriber::registry()
        .with(filter())
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()?;
    Ok(Telemetry { tracer_provider })
}
