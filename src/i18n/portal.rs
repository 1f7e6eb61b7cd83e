//! The keys of the captive portal, its status and payment pages, and the SMS texts: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct PortalWords {}
    fns {}
}
