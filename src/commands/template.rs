//! `fpgo-export template`: a ready-to-fill sheet with every column of the endpoint and an
//! example order; an existing file is never replaced without `--force` (it may be a filled
//! sheet).

use crate::cli::TemplateArgs;
use crate::error::Error;
use crate::{exit, report};

pub fn run(args: &TemplateArgs) -> Result<i32, Error> {
    if args.output.exists() && !args.force {
        return Err(Error::usage(format!(
            "{} exists (it may be a filled sheet); choose another name with --output, or add --force to replace it",
            args.output.display()
        )));
    }
    report::template::write(&args.output, args.endpoint, args.delimiter)?;
    eprintln!("wrote {}", args.output.display());
    Ok(exit::OK)
}
