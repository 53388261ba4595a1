//! Everything that talks to GitHub: workflow-command escaping, the runner's
//! files (step outputs, job summary), annotations, and the REST API.

pub mod api;
pub mod escape;
pub mod sinks;
