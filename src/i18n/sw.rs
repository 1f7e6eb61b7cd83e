//! Every word in Swahili (see `mod.rs`). One `const` per section, so each section can be
//! read (and reviewed by a speaker) on its own.

use super::*;

pub const WORDS: Words = Words { portal: PORTAL, admin: ADMIN, money: MONEY, shop: SHOP };

// ---- The portal, its status and payment pages, and the SMS texts ----
const PORTAL: PortalWords = PortalWords {};

// ---- The web admin: frame, login, System ----
const ADMIN: AdminCoreWords = AdminCoreWords {};

// ---- The web admin: dashboard, customers and devices, payments ----
const MONEY: AdminMoneyWords = AdminMoneyWords {};

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {};
