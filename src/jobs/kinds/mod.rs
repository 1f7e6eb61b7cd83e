//! One file per kind of job, each a struct with its arguments (what is stored in the queue),
//! its `JobKind` properties and its `apply`. Each handler is idempotent: running it twice has
//! the effect of running it once.

mod create_user;
mod disconnect;
mod nas_disconnect;
mod send_sms;

pub use create_user::CreateHotspotUser;
pub use disconnect::DisconnectHotspotUser;
pub use nas_disconnect::DisconnectNasSession;
pub use send_sms::SendCredentialsSms;
