//! The venue's branding (`crate::branding`): reading and saving it for the web admin's
//! Settings page. The caller puts a saved branding into `branding::Shared`.

use super::{Admin, AdminError};
use crate::branding::Branding;
use crate::store::branding as stored;

impl Admin {
    /// The branding as stored (defaults for what is missing).
    pub async fn branding_load(&self) -> Result<Branding, AdminError> {
        Ok(self.sessions.store().call(|conn| stored::load(conn)).await?)
    }

    /// Stores the whole branding (the logo too: `None` removes it).
    pub async fn branding_save(&self, branding: Branding) -> Result<Branding, AdminError> {
        Ok(self
            .sessions
            .store()
            .call(move |conn| {
                stored::save(conn, &branding)?;
                Ok(branding)
            })
            .await?)
    }
}
