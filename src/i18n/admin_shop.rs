//! The keys of the web admin's vouchers (and their print layouts), packages and settings pages: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct AdminShopWords {}
    fns {}
}
