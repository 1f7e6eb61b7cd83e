//! The stable property pass over every parser of outside input, run by `cargo test`: the
//! properties in `tests/properties/` (the same ones the cargo-fuzz targets check), fed by
//! proptest generators. Each property runs proptest's default 256 cases; `PROPTEST_CASES`
//! changes that (e.g. `PROPTEST_CASES=5000 cargo test --test parser_properties`). A failure
//! prints the smallest input found; proptest keeps it in
//! `tests/parser_properties.proptest-regressions` and tries it first on later runs.
//!
//! Generators lean towards the characters each format gives meaning to (`%`, `+`, quotes,
//! separators), so that a few hundred cases reach the edges a uniform generator would miss.

mod properties;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use hotspotd::firewall::{QuotaState, Traffic};
use hotspotd::payments::mpesa::StkCallback;
use proptest::collection::{hash_map, vec};
use proptest::option;
use proptest::prelude::*;
use properties::*;

/// Text made mostly of the characters that mean something to a form decoder.
fn form_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[%+=&a-fA-F0-9 xé-]{0,24}",
        any::<String>(),
    ]
}

/// Bytes, including invalid UTF-8 and the form's special characters.
fn form_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(prop_oneof![Just(b'%'), Just(b'+'), Just(b'='), Just(b'&'), Just(b'a'), Just(b'F'), Just(b'1'), Just(0xc3), Just(0xff), any::<u8>()], 0..40),
        form_text().prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn form_fields_decode_like_the_reference(body in form_bytes()) {
        form::check_form_body(&body);
    }

    #[test]
    fn form_values_round_trip(name in "[a-z_]{1,8}|[%+ =&a-z]{0,6}", value in form_text(), style in vec(0u8..4, 1..5)) {
        form::check_form_round_trip(&name, &value, &style);
    }

    #[test]
    fn request_bodies_never_decode_to_what_routes_refuse(body in prop_oneof![
        form_bytes(),
        r#"\{("(voucher|username|password|phone|package_id)": ?("[ a-zA-Z0-9\\]{0,6}"|-?[0-9]{1,20}|null|true|\[\]),? ?){0,4}\}"#.prop_map(String::into_bytes),
    ]) {
        json_bodies::check_any_body(&body);
    }

    #[test]
    fn login_form_and_json_agree(
        voucher in option::of("[ A-Z2-9]{0,9}|[%+ ]{0,3}"),
        username in option::of("[ a-z0-9]{0,8}"),
        password in option::of(any::<String>()),
        style in vec(0u8..4, 1..5),
    ) {
        json_bodies::check_login_fields(voucher.as_deref(), username.as_deref(), password.as_deref(), &style);
    }

    #[test]
    fn pay_and_forgot_form_and_json_agree(package_id in any::<i64>(), phone in form_text(), style in vec(0u8..4, 1..5)) {
        json_bodies::check_pay_fields(package_id, &phone, &style);
        json_bodies::check_forgot_fields(&phone, &style);
    }

    #[test]
    fn routing_is_consistent(
        method in prop_oneof![
            Just("GET".to_owned()), Just("HEAD".to_owned()), Just("POST".to_owned()), Just("PUT".to_owned()),
            Just("OPTIONS".to_owned()), "[A-Z]{1,8}", any::<String>(),
        ],
        path in prop_oneof![
            "/(pay|api/payments|api/payments/mpesa/callback|api/payments/callback)/[-+0-9a-z/]{0,21}",
            "/(|index.html|status|login|logout|pay|paybill|forgot|lang|logo|api/hotspot/(login|logout|check-session|forgot-password)|api/(packages|captive|payments/mpesa))",
            any::<String>(),
        ],
    ) {
        routing::check_route(method.as_bytes(), &path);
    }

    #[test]
    fn the_host_check_ignores_case_spaces_and_the_default_port(
        host in prop_oneof!["(10\\.77\\.0\\.1|PORTAL\\.lan|[a-z.]{1,8})(:(80|2050|[0-9]{1,5}))?[ \t]?", any::<String>()],
        ip in any::<[u8; 4]>(),
        port in prop_oneof![Just(80u16), Just(2050), any::<u16>()],
        portal_url in option::of("https?://(portal\\.lan|10\\.77\\.0\\.1)(:(80|2050))?/[a-z]{0,4}|[a-z:/]{0,12}"),
    ) {
        let local = SocketAddr::from((ip, port));
        host::check_host(&host, local, portal_url.as_deref());
        host::check_host(&local.to_string(), local, portal_url.as_deref());
    }

    #[test]
    fn uci_errors_name_the_first_bad_line_and_files_rewrite_to_themselves(text in prop_oneof![
        vec(prop_oneof![
            "(config|option|list|package|opton) ['\"a-z_#-]{0,6}( ['\"a-z0-9 #\\\\-]{0,8})?( ['\"a-z]{0,3})?",
            "[ \t]*(#.*)?",
            any::<String>(),
        ], 0..8).prop_map(|lines| lines.join("\n")),
        any::<String>(),
    ]) {
        uci::check_uci_text(&text);
    }

    #[test]
    fn uci_sections_written_out_parse_back(sections in vec(
        ("[a-z][a-z0-9_-]{0,7}", option::of("[A-Za-z0-9_-]{1,8}"), vec(("[a-z_][a-z0-9_]{0,7}", "[^\n]{0,12}", any::<bool>()), 0..5)),
        0..5,
    )) {
        let sections: Vec<_> = sections.iter().map(|(kind, name, entries)| uci::section(kind, name.as_deref(), entries)).collect();
        uci::check_rewrite(&sections);
    }

    #[test]
    fn config_errors_name_a_line_of_the_file(text in vec(prop_oneof![
        "(option|list) (listen|interface|firewall|database|portal_url|login_attempts|max_connections|header_timeout|walled_garden|log_level|country_code|sync_interval|usage_keep_days|listne) '[a-z0-9.:/ -]{0,14}'",
        "config (mpesa|sms|hotspotd) '(mpesa|sms|main|other)'",
        "option (enabled|mode|base_url|provider|poll_interval|timeout|callback_url|account_reference|shortcode) '[a-z0-9:/.]{0,10}'",
        "[a-z' ]{0,10}",
    ], 0..10).prop_map(|lines| lines.join("\n"))) {
        config::check_config_text(&text);
    }

    #[test]
    fn mpesa_callbacks_are_well_formed_or_refused(body in prop_oneof![
        any::<Vec<u8>>(),
        callback_strategy().prop_flat_map(|cb| (Just(cb), any::<bool>(), 0usize..400, any::<u8>()))
            .prop_map(|(cb, as_text, at, byte)| {
                let mut body = callback::body_of(&cb, as_text);
                if !body.is_empty() {
                    let at = at % body.len();
                    body[at] = byte; // one byte changed anywhere
                }
                body
            }),
    ]) {
        callback::check_callback_body(&body);
    }

    #[test]
    fn mpesa_callbacks_read_back_as_themselves(cb in callback_strategy()) {
        callback::check_callback_round_trip(&cb);
    }

    #[test]
    fn daraja_answers_never_accept_a_refusal(status in prop_oneof![200u16..206, 400u16..405, 500u16..504, any::<u16>()], body in prop_oneof![
        any::<String>(),
        r#"\{("(access_token|expires_in|errorCode|errorMessage|ResponseCode|ResultCode|ResultDesc|CheckoutRequestID|MerchantRequestID)": ?("[0-9a-z. ]{0,8}"|-?[0-9]{1,20}|null),? ?){0,5}\}"#,
        "[a-z ]{0,300}".prop_map(|s| format!(r#"{{"errorCode":"{s}","errorMessage":"{}"}}"#, s.repeat(3))),
    ]) {
        daraja::check_daraja_answer(status, &body);
    }

    #[test]
    fn daraja_answers_read_back(
        token in "[A-Za-z0-9]{0,12}", expires_in in prop_oneof![Just(0u64), any::<u64>()],
        ids in ("[a-zA-Z0-9_-]{0,16}", "[a-zA-Z0-9_-]{0,16}"),
        code in prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()], desc in any::<String>(), as_text in any::<bool>(),
    ) {
        daraja::check_token_round_trip(&token, expires_in, as_text);
        daraja::check_push_round_trip(&ids.0, &ids.1);
        daraja::check_query_round_trip(code, &desc, as_text);
    }

    #[test]
    fn sms_answers_never_leak_the_key(status in prop_oneof![200u16..205, 400u16..410, 500u16..504, any::<u16>()], body in prop_oneof![
        any::<String>(),
        "[ a-z]{0,250}(K3YS3CR3T9|http://127\\.0\\.0\\.1:9/sms/send\\?token=Q7TOKEN)[ a-z]{0,20}",
        r#"\{"(message|Message|code|status|SMSMessageData|error_message)": ?("[a-z ]{0,8}(K3YS3CR3T9)?"|[0-9]{1,6}|\{"Recipients": ?\[\{"statusCode": ?[0-9]{3}\}\]\})\}"#,
    ]) {
        sms::check_sms_answer(status, &body);
    }

    #[test]
    fn africastalking_recipients_are_classified(code in prop_oneof![100i64..103, 400i64..410, 500i64..503, any::<i64>()], id in "(ATPid_[a-z0-9]{0,6}|None|)") {
        sms::check_africastalking_recipient(code, &id);
    }

    #[test]
    fn arp_lookups_find_only_complete_entries(table in any::<String>(), ip in any::<[u8; 4]>()) {
        arp::check_arp_text(&table, Ipv4Addr::from(ip));
    }

    #[test]
    fn arp_tables_as_the_kernel_writes_them(
        entries in vec(((0u8..4).prop_map(|n| Ipv4Addr::new(10, 77, 0, 10 + n)), prop_oneof![Just(0u32), Just(2), Just(6), any::<u32>()], prop_oneof![Just([0u8; 6]), any::<[u8; 6]>()]), 0..6),
        last in 0u8..4,
    ) {
        let ip = Ipv4Addr::new(10, 77, 0, 10 + last);
        arp::check_arp_entries(&entries, ip);
        let table = arp::table_of(&entries);
        arp::check_arp_text(&table, ip);
    }

    #[test]
    fn nft_listings_read_back_as_their_counters(
        devices in hash_map(any::<[u8; 4]>().prop_map(Ipv4Addr::from), (any::<u64>(), any::<u64>()).prop_map(|(up, down)| Traffic { up, down }), 0..6),
        quotas in hash_map(any::<i64>(), (any::<u64>(), any::<u64>()).prop_map(|(limit_bytes, used_bytes)| QuotaState { limit_bytes, used_bytes }), 0..4),
    ) {
        nft_usage::check_listing_round_trip(&devices, &quotas);
        nft_usage::check_listing_text(&nft_usage::listing_of(&devices, &quotas));
    }

    #[test]
    fn nft_listings_of_any_text(text in prop_oneof![
        any::<String>(),
        r#"\{"nftables": ?\[(\{"(set|quota|metainfo)": ?\{("(name|elem|bytes|used|val|counter)": ?("(up_bytes|dn_bytes|cap_[0-9-]{1,3})"|[0-9]{1,3}|\[\]|\{\}),? ?){0,3}\}\},?){0,3}\]\}"#,
    ]) {
        nft_usage::check_listing_text(&text);
    }

    #[test]
    fn phone_numbers_parse_to_themselves(
        typed in prop_oneof!["[+]?[0-9 ().-]{0,16}", "(0|254|\\+254)?[71][0-9]{8}", any::<String>()],
        country_code in prop_oneof![Just("254".to_owned()), "[1-9][0-9]{0,2}"],
    ) {
        phone::check_phone_text(&typed, &country_code);
    }

    #[test]
    fn every_way_of_typing_a_number_reads_the_same(country_code in prop_oneof![Just("254".to_owned()), "[1-9][0-9]{0,2}"], national in "[0-9]{9}") {
        phone::check_phone_forms(&country_code, &national);
    }

    #[test]
    fn mac_addresses_parse_exactly_and_round_trip(text in prop_oneof!["([0-9a-fA-F+-]{2}[:-]){5}[0-9a-fA-F+ ]{2}", any::<String>()], bytes in any::<[u8; 6]>()) {
        netaddr::check_mac_text(&text);
        netaddr::check_mac_round_trip(bytes);
    }

    #[test]
    fn cidr_blocks_parse_exactly_and_round_trip(
        text in prop_oneof!["[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[+0-9]{0,3})?", any::<String>()],
        addr in any::<u32>(),
        prefix in any::<u8>(),
    ) {
        netaddr::check_cidr_text(&text);
        netaddr::check_cidr_round_trip(addr, prefix);
    }
}

/// Well-formed callbacks: successes with amount and receipt, failures with or without.
fn callback_strategy() -> impl Strategy<Value = StkCallback> {
    let id = "[ -~]{1,30}";
    let digits = prop_oneof!["[0-9]{1,20}", "2547[0-9*]{8}"];
    (
        (id, id, prop_oneof![Just(0i64), Just(1032), Just(i64::MIN), Just(i64::MAX), any::<i64>()]),
        "[^\u{0}]{0,40}",
        option::of(prop_oneof![Just(1i64), 1i64..1_000_000, Just(i64::MAX)]),
        option::of("[A-Z0-9]{1,20}"),
        option::of(digits),
        option::of("[0-9]{14}"),
    )
        .prop_map(|((merchant, checkout, result_code), result_desc, amount, receipt, phone, date)| {
            let paid = result_code == 0;
            StkCallback {
                merchant_request_id: merchant,
                checkout_request_id: checkout,
                result_code,
                result_desc,
                amount: if paid { amount.or(Some(1)) } else { amount },
                receipt: if paid { receipt.or(Some("NLJ7RT61SV".into())) } else { receipt },
                phone,
                transaction_date: date,
            }
        })
}

#[test]
fn the_properties_hold_for_the_documented_examples() {
    // The samples in the docs, so a broken property is seen even with PROPTEST_CASES=1.
    form::check_form_round_trip("voucher", "AB CD-12", &[0, 3]);
    json_bodies::check_login_fields(Some("ABCD2345"), None, None, &[0]);
    json_bodies::check_pay_fields(1, "0712345678", &[0]);
    uci::check_uci_text(include_str!("../openwrt/files/hotspotd.config"));
    config::check_config_text(include_str!("../openwrt/files/hotspotd.config"));
    phone::check_phone_forms("254", "712345678");
    netaddr::check_cidr_text("198.51.100.7/24");
    let listing = nft_usage::listing_of(&HashMap::from([(Ipv4Addr::new(10, 77, 0, 11), Traffic { up: 1000, down: 50000 })]), &HashMap::new());
    nft_usage::check_listing_text(&listing);
}

/// RADIUS datagrams: mostly well-formed packets (a valid header and attributes, some of the
/// kinds the server reads), some with a length field or an attribute length off, some bytes.
fn radius_datagram() -> impl Strategy<Value = Vec<u8>> {
    let attribute = (prop_oneof![Just(1u8), Just(2), Just(3), Just(4), Just(8), Just(26), Just(31), Just(33), Just(40), Just(42), Just(44), Just(52), Just(60), Just(80), any::<u8>()], vec(any::<u8>(), 0..40))
        .prop_map(|(kind, value)| {
            let mut a = vec![kind, (value.len() + 2) as u8];
            a.extend(value);
            a
        });
    let packet = (prop_oneof![Just(1u8), Just(4), Just(40), Just(43), any::<u8>()], any::<u8>(), any::<[u8; 16]>(), vec(attribute, 0..8), -2i8..3)
        .prop_map(|(code, id, authenticator, attributes, length_error)| {
            let body: Vec<u8> = attributes.concat();
            let length = (20 + body.len()) as i32 + length_error as i32;
            let mut raw = vec![code, id];
            raw.extend_from_slice(&(length.clamp(0, 65535) as u16).to_be_bytes());
            raw.extend_from_slice(&authenticator);
            raw.extend(body);
            raw
        });
    prop_oneof![4 => packet, 1 => vec(any::<u8>(), 0..64)]
}

proptest! {
    #[test]
    fn radius_datagrams_decode_or_are_refused_never_panic(raw in radius_datagram()) {
        radius::check_datagram(&raw);
    }

    #[test]
    fn radius_requests_we_sign_check_out_and_one_changed_byte_does_not(raw in radius_datagram(), at in any::<usize>()) {
        radius::check_signed(&raw, at);
    }

    #[test]
    fn calling_station_ids_are_one_device_in_every_spelling(text in prop_oneof!["[0-9a-fA-F:.-]{0,20}", any::<String>()], bytes in any::<[u8; 6]>()) {
        radius::check_calling_station(&text);
        radius::check_calling_station(&hotspotd::netaddr::MacAddr(bytes).to_string().replace(':', "-"));
    }
}
