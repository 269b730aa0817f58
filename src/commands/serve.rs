//! `fpgo-export serve`: the browser app on loopback until Ctrl-C or SIGTERM. Glue: the app is
//! in `web`.

use crate::cli::ServeArgs;
use crate::error::Error;
use crate::{exit, web};

pub fn run(args: &ServeArgs) -> Result<i32, Error> {
    let settings = web::ServeSettings::resolve(args)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Error::bug(format!("the async runtime did not start: {e}")))?;
    runtime.block_on(web::serve(settings, super::sandbox::stopped()))?;
    Ok(exit::OK)
}
