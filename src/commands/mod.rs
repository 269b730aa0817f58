//! The commands: each one's glue between the command line and the pipeline.

pub mod check;
pub mod sandbox;
pub mod submit;
pub mod template;
