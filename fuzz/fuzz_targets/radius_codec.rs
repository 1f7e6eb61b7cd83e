//! RADIUS datagrams as NAS devices and the network send them: decoding, the checks, and the
//! server's readers of Access- and Accounting-Requests; a request we sign from one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::radius;

fuzz_target!(|data: &[u8]| {
    radius::check_datagram(data);
    radius::check_signed(data, data.len());
    radius::check_calling_station(&String::from_utf8_lossy(data));
});
