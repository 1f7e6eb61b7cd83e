//! nft's JSON counter listings on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::nft_usage;

fuzz_target!(|data: &[u8]| {
    nft_usage::check_listing_text(&String::from_utf8_lossy(data));
});
