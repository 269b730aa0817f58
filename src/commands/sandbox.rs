//! `fpgo-export sandbox`: serve the local FPGO until Ctrl-C or SIGTERM.

use crate::cli::SandboxArgs;
use crate::error::Error;
use crate::{exit, sandbox, settings};

/// Serves the sandbox until Ctrl-C or SIGTERM.
pub fn run(args: &SandboxArgs) -> Result<i32, Error> {
    let config = settings::sandbox_config(args)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Error::bug(format!("the async runtime did not start: {e}")))?;
    runtime.block_on(async {
        let seed = config.seed;
        let sandbox = sandbox::Sandbox::start(config).await?;
        eprintln!("FPGO sandbox serving {}", sandbox.base_url());
        eprintln!("token: {}", sandbox.token());
        eprintln!("seed: {seed} (--seed {seed} replays the same faults and ids)");
        eprintln!(
            "introspection: {}/__sandbox/orders, /__sandbox/stats, POST /__sandbox/reset",
            sandbox.root_url()
        );
        eprintln!("Ctrl-C stops it.");
        stopped().await;
        eprintln!("stopping: letting requests in flight finish");
        sandbox.shutdown().await;
        Ok(exit::OK)
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
