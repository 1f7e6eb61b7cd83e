//! The keys of the web admin's dashboard, customers and devices, and payments pages: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct AdminMoneyWords {}
    fns {}
}
