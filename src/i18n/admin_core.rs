//! The keys of the web admin's frame, login, settings-free pages and the System page: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct AdminCoreWords {}
    fns {}
}
