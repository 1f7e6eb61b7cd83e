//! Every word in Swahili (see `mod.rs`). One `const` per section, so each section can be
//! read (and reviewed by a speaker) on its own.

use super::*;

pub const WORDS: Words = Words { portal: PORTAL, admin: ADMIN, money: MONEY, shop: SHOP };

// ---- The portal, its status and payment pages, and the SMS texts ----
const PORTAL: PortalWords = PortalWords {
    title: "Hotspot ya Wi-Fi",
    packages_heading: "Vifurushi",
    no_packages: "Hakuna vifurushi vinavyouzwa sasa hivi. Tafadhali uliza mhudumu.",
    voucher_heading: "Una vocha?",
    voucher_label: "Namba ya vocha",
    voucher_button: "Unganisha",
    account_heading: "Una jina la mtumiaji na nenosiri?",
    username_label: "Jina la mtumiaji",
    password_label: "Nenosiri",
    login_button: "Ingia",
    buy_hint: "Nunua vocha kwa mhudumu, au ingia kwa maelezo tuliyokutumia kwa SMS.",
    status_heading: "Umeunganishwa",
    time_left: "Muda uliobaki",
    data_left: "Data iliyobaki",
    data_used: "Umetumia kwenye kifaa hiki",
    speed: "Kasi",
    unlimited: "Bila kikomo",
    package: "Kifurushi",
    account: "Akaunti",
    devices: "Vifaa vilivyounganishwa",
    this_device: "Kifaa hiki",
    logout_button: "Toka",
    continue_browsing: "Sasa unaweza kutumia intaneti.",
    not_found: "Ukurasa huu haupo.",
    back_to_start: "Rudi mwanzo",
    go_to_login: "Bonyeza hapa uingie kwenye Wi-Fi",
    language: "Lugha",
    need_help: "Unahitaji msaada? Piga",
    terms: "Masharti ya matumizi",

    err_bad_json: "Ombi si JSON sahihi. Tuma {\"voucher\":\"CODE\"} au {\"username\":\"…\",\"password\":\"…\"}.",
    err_forgot_json: "Tuma {\"phone\": \"0712345678\"}.",
    err_pay_json: "Tuma {\"package_id\": 1, \"phone\": \"0712345678\"}.",
    err_no_credential: "Weka namba ya vocha, au jina la mtumiaji na nenosiri.",
    err_body_too_large: "Ombi ni kubwa mno.",
    err_body_timeout: "Ombi limechelewa kufika. Tafadhali jaribu tena.",
    err_unknown_device: "Hatukuweza kutambua kifaa chako. Zima Wi-Fi, uiwashe tena, kisha ujaribu tena.",
    err_unavailable: "Hotspot haikuweza kukamilisha hilo sasa hivi. Tafadhali jaribu tena baada ya muda mfupi.",
    err_method: "Ombi la aina hiyo haliruhusiwi hapa.",
    err_not_logged_in: "Kifaa hiki hakijaingia.",
    err_bad_host: "Anwani hiyo ya tovuti si sahihi.",
    err_foreign_origin: "Fomu hii imetumwa kutoka tovuti nyingine. Fungua ukurasa wa hotspot ujaribu tena.",

    pay_heading: "Nunua kifurushi kwa M-Pesa",
    paybill_heading: "Hujapata ombi la M-Pesa? Lipa kupitia menyu ya M-Pesa",
    paybill_hint: "Chagua kifurushi upate namba ya paybill na namba ya akaunti ya kulipa.",
    paybill_steps: "Kwenye simu yako: M-Pesa, Lipa na M-Pesa, Pay Bill. Weka:",
    paybill_number_label: "Namba ya biashara",
    paybill_account_label: "Namba ya akaunti",
    paybill_amount_label: "Kiasi",
    paybill_waiting: "Acha ukurasa huu wazi: utaunganishwa ndani ya dakika moja baada ya kulipa.",
    pay_phone_label: "Weka namba ya M-Pesa",
    pay_package_label: "Kifurushi",
    pay_button: "Lipa",
    pay_demo_note: "MAJARIBIO: hakuna pesa inayokatwa; kila malipo yanakubaliwa baada ya sekunde chache.",
    pay_unavailable: "Malipo ya M-Pesa hayapatikani sasa hivi. Tumia vocha kutoka kwa mhudumu, au jaribu tena baada ya dakika chache.",
    pay_refused: "Malipo ya M-Pesa hayafanyi kazi kwenye hotspot hii sasa hivi. Tafadhali tumia vocha au uliza mhudumu.",
    pay_free_package: "Kifurushi hiki ni bure: omba vocha kwa mhudumu.",
    pay_unknown_package: "Kifurushi hicho hakiuzwi. Tafadhali chagua kingine.",
    pay_disabled: "Hotspot hii haipokei malipo ya M-Pesa. Tumia vocha kutoka kwa mhudumu.",
    pay_not_found: "Malipo hayo hayapo.",
    pay_page_title: "Malipo ya M-Pesa",
    pay_check_phone: "Angalia simu yako uweke PIN ya M-Pesa.",
    pay_setting_up: "Malipo yamepokelewa. Tunakuunganisha…",
    pay_done: "Umelipa! Kifaa hiki kimeunganishwa.",
    pay_done_elsewhere: "Imelipwa. Kifaa kilicholipa kimeunganishwa.",
    pay_credentials_sms: "Maelezo ya kuingia kwa vifaa vingine (pia yametumwa kwa SMS):",
    pay_credentials: "Maelezo ya kuingia kwa vifaa vingine. Yaandike: yanaonyeshwa sasa tu.",
    pay_try_again: "Jaribu tena",
    forgot_heading: "Umesahau nenosiri?",
    forgot_button: "Nitumie nenosiri jipya",
    forgot_sent: "Kama namba hii ina kifurushi kinachotumika, nenosiri jipya linakuja kwa SMS. Huenda likachukua dakika moja.",
    forgot_no_sms: "Hotspot hii haiwezi kutuma SMS. Tafadhali uliza mhudumu.",

    sms_heading: "Akaunti yako ya Wi-Fi",
    sms_username: "Jina: ",
    sms_password: "Nenosiri: ",
    sms_valid: "Muda: ",
    sms_login_at: "Ingia: ",
    sms_user_short: "Jina: ",
    sms_pass_short: "Siri: ",

    // Swahili puts the number after the noun, and these nouns (sekunde, dakika, saa, siku)
    // have one form for one and many.
    wait: |secs| match secs {
        0..=1 => "sekunde 1".into(),
        2..=119 => format!("sekunde {secs}"),
        _ => format!("dakika {}", secs.div_ceil(60)),
    },
    prompt_limited: |refusal| {
        use crate::payments::limits::{PromptRefusal, Who};
        let wait = (PORTAL.wait)(refusal.retry_after_secs());
        match refusal {
            PromptRefusal::Open { who: Who::Device, .. } => {
                format!("Ombi la M-Pesa kutoka kifaa hiki bado linasubiri. Lijibu kwenye simu, au jaribu tena baada ya {wait}.")
            }
            PromptRefusal::Open { who: Who::Number, .. } => {
                format!("Ombi la M-Pesa tayari linasubiri kwenye namba hiyo. Lijibu, au jaribu tena baada ya {wait}.")
            }
            PromptRefusal::Hourly { who: Who::Device, .. } => {
                format!("Kifaa hiki kimeomba maombi mengi mno ya M-Pesa. Jaribu tena baada ya {wait}, au tumia vocha.")
            }
            PromptRefusal::Hourly { who: Who::Number, .. } => {
                format!("Maombi mengi mno ya M-Pesa yametumwa kwa namba hiyo saa hii. Jaribu tena baada ya {wait}, au tumia vocha.")
            }
        }
    },
    pay_prompt: |amount, currency, package| {
        format!(
            "Angalia simu yako uweke PIN ya M-Pesa kulipa {} kwa {package}. Ukurasa huu utajisasisha wenyewe.",
            super::portal::money(amount, currency)
        )
    },
    payment_failure: |failure| {
        use crate::store::payments::PaymentFailure;
        match failure {
            PaymentFailure::Cancelled => "Umeghairi ombi la M-Pesa. Hakuna pesa iliyokatwa.",
            PaymentFailure::WrongPin => "PIN ya M-Pesa si sahihi. Hakuna pesa iliyokatwa. Jaribu tena.",
            PaymentFailure::InsufficientFunds => "Salio lako la M-Pesa halitoshi kwa kifurushi hiki. Hakuna pesa iliyokatwa.",
            PaymentFailure::PhoneUnreachable => "Simu yako haikupatikana. Hakikisha imewashwa na ina mtandao, kisha ujaribu tena.",
            PaymentFailure::Timeout => "Ombi la M-Pesa halikujibiwa kwa wakati. Hakuna pesa iliyokatwa. Jaribu tena.",
            PaymentFailure::Duplicate => "Umelipa kiasi hiki kutoka namba hii sasa hivi. Subiri dakika mbili kabla ya kulipa tena.",
            PaymentFailure::Unavailable => PORTAL.pay_unavailable,
            PaymentFailure::Refused => PORTAL.pay_refused,
            PaymentFailure::Unconfirmed => {
                "Hatukuweza kuthibitisha malipo haya na M-Pesa. Kama pesa imekatwa, onyesha SMS ya M-Pesa kwa mhudumu."
            }
            PaymentFailure::Interrupted => "Malipo yalikatizwa kabla ombi kutumwa. Hakuna pesa iliyokatwa. Jaribu tena.",
            PaymentFailure::Declined => "M-Pesa imekataa malipo. Hakuna pesa iliyokatwa. Tafadhali uliza mhudumu kama hili likijirudia.",
        }
    },
    refusal: |refusal| {
        use crate::access::Refusal;
        match refusal {
            Refusal::UnknownVoucher => "Namba ya vocha si sahihi. Iangalie ujaribu tena.".into(),
            Refusal::VoucherRevoked => "Vocha hii imefutwa. Tafadhali uliza mhudumu.".into(),
            Refusal::VoucherLapsed => "Vocha hii iliisha muda kabla ya kutumika. Tafadhali uliza mhudumu.".into(),
            Refusal::PackageWithdrawn => "Kifurushi cha vocha hii hakiuzwi tena. Tafadhali uliza mhudumu.".into(),
            Refusal::WrongCredentials => "Jina la mtumiaji au nenosiri si sahihi.".into(),
            Refusal::Expired { .. } => "Muda wa kifurushi chako umekwisha. Nunua kifurushi kipya uendelee kutumia mtandao.".into(),
            Refusal::DataExhausted => "Data ya kifurushi chako imeisha. Nunua kifurushi kipya uendelee.".into(),
            Refusal::Suspended => "Akaunti hii imesimamishwa. Tafadhali uliza mhudumu.".into(),
            Refusal::AddressInUse => {
                "Kifaa kingine kinatumia anwani ya kifaa hiki. Zima Wi-Fi uiwashe tena upate anwani yako, kisha ujaribu tena.".into()
            }
            Refusal::DeviceLimit { max_devices } => format!(
                "Vifaa vimejaa: kifurushi hiki kinaruhusu {} kwa wakati mmoja. Toka kwenye kifaa kingine kwanza.",
                if *max_devices == 1 { "kifaa 1 tu".to_owned() } else { format!("vifaa {max_devices}") }
            ),
        }
    },
    guess_refused: |refusal| {
        use crate::portal::ratelimit::GuessRefusal;
        let secs = refusal.retry_after_secs();
        match refusal {
            GuessRefusal::Device { .. } => format!("Umekosea mara nyingi mno. Subiri sekunde {secs} ujaribu tena."),
            GuessRefusal::Busy { .. } => {
                format!("Hotspot inakataa namba nyingi zisizo sahihi sasa hivi. Subiri sekunde {secs} ujaribu tena.")
            }
        }
    },
    resets_refused: |secs| format!("Maombi mengi mno ya nenosiri kutoka kifaa hiki. Subiri {} ujaribu tena.", (PORTAL.wait)(secs)),
    ended: |ended| match ended {
        crate::sessions::records::Ended::DataUsedUp => {
            "Data imeisha, kwa hivyo umetolewa mtandaoni. Nunua kifurushi kipya hapa chini uendelee."
        }
        crate::sessions::records::Ended::TimeUp => {
            "Muda umekwisha, kwa hivyo umetolewa mtandaoni. Nunua kifurushi kipya hapa chini uendelee."
        }
    },
    speed_of: |down, up| {
        let rate = |kbps: Option<u32>| kbps.map_or_else(|| "bila kikomo".to_owned(), super::portal::rate);
        match (down, up) {
            (None, None) => None,
            (d, u) => Some(format!("kupakua {}, kupakia {}", rate(d), rate(u))),
        }
    },
    duration: |secs| match super::portal::split_duration(secs) {
        (0, 0, 0, s) => format!("sekunde {s}"),
        (0, 0, m, _) => format!("dakika {m}"),
        (0, h, 0, _) => format!("saa {h}"),
        (0, h, m, _) => format!("saa {h} dakika {m}"),
        (d, 0, _, _) => format!("siku {d}"),
        (d, h, _, _) => format!("siku {d} saa {h}"),
    },
    bytes: super::portal::bytes_si,
    price: super::portal::money,
    devices_allowed: |max| if max == 1 { "kifaa 1".into() } else { format!("hadi vifaa {max}") },
    bad_phone: |typed| format!("`{typed}` si namba ya simu; iandike hivi: 0712345678"),
};

// ---- The web admin: frame, login, System ----
const ADMIN: AdminCoreWords = AdminCoreWords {
    nav_dashboard: "Muhtasari",
    nav_devices: "Vifaa",
    nav_customers: "Wateja",
    nav_payments: "Malipo",
    nav_vouchers: "Vocha",
    nav_packages: "Vifurushi",
    nav_settings: "Mipangilio",
    nav_system: "Mfumo",
    log_out: "Toka",
    login_title: "Ingia",
    password: "Nenosiri",
    log_in: "Ingia",
    wrong_password: "Nenosiri si sahihi.",
    too_many_tries: "Umekosea nenosiri mara nyingi mno.",
    no_password_yet: "Bado hakuna nenosiri la msimamizi. Kwenye ruta, endesha: hotspotd admin password",
    refused_title: "Hairuhusiwi",
    csrf_expired: "Fomu hii imepitwa na wakati au imetoka kwingine. Pakia ukurasa upya kisha ujaribu tena.",
    not_found_title: "Haipatikani",
    not_found: "Ukurasa huu haupo.",
    invalid_title: "Haiwezekani",
    server_error: "Kuna hitilafu. Jaribu tena; ikiendelea, angalia kumbukumbu za ruta.",
    busy: "Ruta ina kazi nyingi. Jaribu tena baada ya muda mfupi.",
    request_too_big: "Fomu ilikuwa kubwa mno, au ilichelewa kufika. Jaribu tena.",
    system_title: "Mfumo",
    firewall: "Ngome ya mtandao",
    firewall_in_place: "Iko sawa",
    firewall_missing: "Haipo: wateja hawadhibitiwi!",
    firewall_off: "Imezimwa (firewall 'none'): hakuna kinachodhibitiwa",
    clock: "Saa",
    clock_trusted: "Sahihi (imewekwa na NTP)",
    clock_not_trusted: "Bado haijathibitishwa (hakuna NTP tangu ruta iwashwe)",
    clock_now: "Sasa",
    speed_limits: "Vikomo vya kasi",
    none: "Hakuna",
    jobs: "Kazi",
    jobs_waiting: "Zinasubiri",
    jobs_failed: "Zimeshindwa",
    no_failed_jobs: "Hakuna kazi iliyoshindwa.",
    retry: "Jaribu tena",
    job_kind: "Aina",
    job_error: "Hitilafu",
    job_attempts: "Majaribio",
    database: "Hifadhidata",
    database_size: "Ukubwa",
    version: "Toleo",
    uptime: "Imewashwa kwa",
    radius: "Seva ya RADIUS",
    radius_requests: "Maombi yaliyojibiwa",
    sync: "Kusawazisha na seva kuu",
    sync_last_ok: "Ilifaulu mara ya mwisho",
    sync_last_error: "Hitilafu ya mwisho",
    sync_backlog: "Matukio yanayosubiri",
    never: "Bado",
    devices_online: "Vifaa vilivyounganishwa",
    vouchers_unused: "Vocha ambazo hazijatumika",
    packages_on_sale: "Vifurushi vinavyouzwa",
    changes: "Mabadiliko ya karibuni",
    when: "Lini",
    who: "Nani",
    what: "Nini",
    details: "Maelezo",
    no_changes: "Bado hakuna mabadiliko.",
    more_not_shown: "Zinaonyeshwa za karibuni tu.",
    try_again_in: sw_try_again_in,
};

fn sw_try_again_in(secs: u64) -> String {
    match secs.div_ceil(60) {
        0 | 1 => "Jaribu tena baada ya dakika moja.".into(),
        n => format!("Jaribu tena baada ya dakika {n}."),
    }
}

// ---- The web admin: dashboard, customers and devices, payments ----
const MONEY: AdminMoneyWords = AdminMoneyWords {
    dashboard_title: "Muhtasari",
    demo_banner: "Data ya majaribio: mauzo na vipindi hivi ni mifano, si wateja halisi.",
    revenue_today: "Mapato ya leo",
    last_7_days: "Siku 7 zilizopita",
    last_30_days: "Siku 30 zilizopita",
    vouchers_sold: "Vocha zilizouzwa",
    devices_online: "Vifaa vilivyounganishwa",
    data_today: "Data iliyotumika leo",
    vouchers_left: "Vocha zilizobaki",
    unused: "Hazijatumika",
    price: "Bei",
    chart_revenue: "Mapato kwa siku (siku 30)",
    chart_devices: "Vifaa vilivyounganishwa kwa saa (saa 48)",
    chart_data: "Data iliyotumika kwa siku (siku 30)",
    no_sales: "Bado hakuna mauzo",
    no_devices: "Bado hakuna kifaa kilichounganishwa",
    no_data: "Bado hakuna data iliyotumika",
    total: "Jumla",
    devices_title: "Vifaa vilivyounganishwa",
    no_device_online: "Hakuna kifaa kilichounganishwa sasa.",
    account: "Akaunti",
    time_left: "Muda uliobaki",
    data_left: "Data iliyobaki",
    speed: "Kasi",
    unlimited: "Bila kikomo",
    kick: "Ondoa",
    kicked: "Kifaa kimeondolewa.",
    next: "Ifuatayo",
    previous: "Iliyotangulia",
    not_online: "Kifaa hicho hakijaunganishwa tena.",
    customers_title: "Wateja",
    search_label: "Namba ya simu au jina la mtumiaji",
    search: "Tafuta",
    search_hint: "Andika sehemu ya namba ya simu au jina la mtumiaji.",
    no_customer: "Hakuna akaunti inayolingana.",
    phone: "Simu",
    status: "Hali",
    created: "Iliundwa",
    package: "Kifurushi",
    data_used: "Data iliyotumika",
    clock_not_started: "unaanza akiingia mara ya kwanza",
    add_time_or_data: "Ongeza muda au data",
    minutes: "Dakika",
    megabytes: "Megabaiti (MB)",
    extend: "Ongeza muda",
    extended: "Muda au data imeongezwa.",
    extend_invalid: "Weka dakika, megabaiti au zote mbili, namba kamili zaidi ya 0 (hadi mwaka mmoja, MB 1,000,000).",
    disable: "Zima",
    disabled: "Akaunti imezimwa na vifaa vyake vimeondolewa.",
    enable: "Washa",
    enabled: "Akaunti inaweza kuingia tena.",
    resend: "Tuma tena",
    resent: "Maelezo mapya ya kuingia yanatumwa kwa SMS.",
    no_phone: "Akaunti hii haina namba ya simu ya kutuma.",
    sessions: "Vipindi",
    started: "Kilianza",
    ended: "Kiliisha",
    online_now: "yuko mtandaoni sasa",
    none_yet: "Bado hakuna.",
    payments_title: "Malipo",
    from: "Kuanzia",
    to: "Hadi",
    any: "Yoyote",
    receipt: "Risiti",
    show: "Onyesha",
    confirmed_total: "Jumla iliyolipwa",
    count: "Idadi",
    date: "Tarehe",
    amount: "Kiasi",
    method: "Njia",
    reason: "Sababu",
    failed_payments: "Malipo yaliyoshindwa",
    no_payment: "Hakuna malipo yanayolingana.",
    more_rows: "Ni malipo 200 ya karibuni tu yanayoonyeshwa; punguza tarehe kuona mengine. Jumla inahesabu yote.",
    bad_date: "Andika tarehe hivi: 2026-12-07, ya kwanza isiwe baada ya ya mwisho.",
    no_reason: "Hakuna sababu iliyotolewa",
    demo_method: "Majaribio",
    cash_method: "Pesa taslimu",
    account_status: sw_account_status,
    payment_status: sw_payment_status,
    failure: sw_failure,
    duration: sw_short_duration,
    shown: sw_shown,
};

fn sw_account_status(s: crate::access::AccountStatus) -> &'static str {
    use crate::access::AccountStatus::*;
    match s {
        Active => "Inatumika",
        Expired => "Muda umekwisha",
        Exhausted => "Data imekwisha",
        Suspended => "Imezimwa",
    }
}

fn sw_payment_status(s: crate::store::payments::PaymentStatus) -> &'static str {
    use crate::store::payments::PaymentStatus::*;
    match s {
        Pending => "Yanasubiri",
        Confirmed => "Yamelipwa",
        Failed => "Yameshindwa",
        Cancelled => "Yameghairiwa",
    }
}

fn sw_failure(f: crate::store::payments::PaymentFailure) -> &'static str {
    use crate::store::payments::PaymentFailure::*;
    match f {
        Cancelled => "Mteja alighairi ombi la M-Pesa",
        WrongPin => "PIN ya M-Pesa si sahihi",
        InsufficientFunds => "Pesa haitoshi kwenye M-Pesa",
        PhoneUnreachable => "Simu haikupatikana",
        Timeout => "Ombi halikujibiwa kwa wakati",
        Duplicate => "Kiasi kilekile kutoka namba ileile ndani ya dakika 2",
        Declined => "M-Pesa imekataa",
        Refused => "M-Pesa imekataa ombi (angalia mipangilio ya M-Pesa)",
        Unavailable => "M-Pesa haikupatikana",
        Interrupted => "Router ilizima kabla ombi halijatumwa",
        Unconfirmed => "Hakuna jibu kutoka M-Pesa kwa siku moja",
    }
}

fn sw_shown(first: usize, last: usize, of: usize) -> String {
    format!("Vifaa {first} hadi {last} kati ya {of}")
}

fn sw_short_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("dakika {m}"),
        (0, _) => format!("saa {h} dakika {m}"),
        _ => format!("siku {d} saa {h}"),
    }
}

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {
    vouchers_title: "Vocha",
    create_heading: "Tengeneza vocha",
    package_label: "Kifurushi",
    count_label: "Ngapi (1 hadi 500)",
    batch_label: "Jina la kundi",
    create_button: "Tengeneza",
    stock_heading: "Vocha zilizopo",
    col_package: "Kifurushi",
    col_batch: "Kundi",
    col_unused: "Hazijatumika",
    col_used: "Zimetumika",
    col_expired: "Zimeisha muda",
    col_revoked: "Zimefutwa",
    no_batch: "(bila jina)",
    no_vouchers: "Bado hakuna vocha.",
    no_packages: "Ongeza kifurushi kwanza.",
    open_batch: "Nambari na kuchapisha",
    err_count: "Andika idadi ya vocha, kuanzia 1 hadi 500.",
    err_package: "Chagua kifurushi.",
    err_batch: "Jina la kundi lisizidi herufi 40: herufi, nambari, nafasi au - _ . :",
    batch_title: "Kundi",
    col_code: "Nambari",
    col_status: "Hali",
    col_redeemed: "Ilitumika",
    st_unused: "haijatumika",
    st_used: "imetumika",
    st_expired: "imeisha muda",
    st_revoked: "imefutwa",
    print_a4_12: "Chapisha A4, 12 kwa ukurasa",
    print_a4_24: "Chapisha A4, 24 kwa ukurasa",
    print_roll: "Chapisha kwa karatasi ya risiti (mm 80)",
    download_csv: "Pakua CSV",
    revoke: "Futa",
    revoke_batch: "Futa vocha zote za kundi hili ambazo hazijatumika",
    revoked_note: "Vocha iliyofutwa haifanyi kazi tena. Iliyotumika inaendelea kufanya kazi.",
    err_revoke: "Vocha hiyo haipo, au imeshatumika au kufutwa.",
    err_no_batch: "Kundi hilo halipo.",
    print_title: "Vocha",
    print_nothing: "Kundi hili halina vocha ambazo hazijatumika za kuchapisha.",
    print_hint: "Unganisha Wi-Fi, kisha skani au andika nambari.",
    unlimited_data: "Data bila kikomo",
    packages_title: "Vifurushi",
    add_heading: "Ongeza kifurushi",
    edit_heading: "Badilisha kifurushi",
    name_label: "Jina",
    price_label: "Bei (KES)",
    minutes_label: "Muda (dakika)",
    data_label: "Data (MB; acha wazi: bila kikomo)",
    down_label: "Kasi ya kupakua (kbit/s; acha wazi: bila kikomo)",
    up_label: "Kasi ya kupakia (kbit/s; acha wazi: bila kikomo)",
    devices_label: "Vifaa kwa wakati mmoja",
    save_button: "Hifadhi",
    add_button: "Ongeza",
    col_price: "Bei",
    col_time: "Muda",
    col_data: "Kiasi cha data",
    col_speed: "Kasi",
    col_devices: "Vifaa",
    col_sale: "Inauzwa",
    on_sale: "Inauzwa",
    hidden: "Imefichwa",
    hide: "Ficha",
    show: "Rudisha sokoni",
    edit: "Badilisha",
    unlimited: "Bila kikomo",
    edit_note: "Mabadiliko yanahusu mauzo kuanzia sasa: wateja wanabaki na walichonunua.",
    hide_note: "Kifurushi kilichofichwa hakiuzwi, na vocha zake ambazo hazijatumika hazifanyi kazi hadi kirudishwe sokoni.",
    err_name: "Kipe kifurushi jina la herufi 1 hadi 64.",
    err_price: "Bei iwe nambari kamili ya shilingi, 0 au zaidi.",
    err_minutes: "Muda uwe nambari kamili ya dakika, zaidi ya 0.",
    err_data: "Data iwe nambari kamili ya MB zaidi ya 0, au acha wazi kwa bila kikomo.",
    err_speed: "Kasi iwe nambari kamili ya kbit/s zaidi ya 0, au acha wazi kwa bila kikomo.",
    err_devices: "Vifaa kwa wakati mmoja: nambari kamili kuanzia 1 hadi 50.",
    err_no_package: "Kifurushi hicho hakipo.",
    settings_title: "Mipangilio",
    venue_label: "Jina la biashara",
    primary_label: "Rangi kuu",
    accent_label: "Rangi ya pili",
    phone_label: "Simu ya msaada",
    terms_label: "Masharti ya matumizi",
    language_label: "Lugha ya kawaida",
    logo_heading: "Nembo",
    logo_hint: "PNG, JPEG, GIF au WebP, isizidi KB 32.",
    upload_button: "Pakia",
    remove_logo: "Ondoa nembo",
    no_logo: "Bado hakuna nembo.",
    err_venue: "Jina la biashara liwe na herufi 1 hadi 64.",
    err_colour: "Rangi iandikwe # na tarakimu sita za hex, kama #0a7d3b.",
    err_phone: "Simu ya msaada iwe na nambari, nafasi, + na - tu (zisizidi 24).",
    err_terms: "Masharti ya matumizi yasizidi herufi 4000.",
    err_language: "Chagua English au Kiswahili.",
    err_logo_empty: "Chagua picha kwanza.",
    err_logo_large: "Nembo ni kubwa kuliko KB 32: ipunguze.",
    err_logo_type: "Nembo iwe picha ya PNG, JPEG, GIF au WebP.",
    err_upload: "Picha haikusomeka. Jaribu tena.",
    err_failed: "Hitilafu imetokea. Jaribu tena.",
    duration: sw_shop_duration,
    data: portal::bytes_si,
    speed: sw_speed,
    first_shown: |shown, all| format!("Nambari {shown} za kwanza kati ya {all} zinaonyeshwa; CSV na karatasi za kuchapisha zina zote."),
};

fn sw_shop_duration(secs: i64) -> String {
    match admin_shop::parts(secs) {
        (0, 0, m) => format!("Dakika {m}"),
        (0, h, 0) => format!("Saa {h}"),
        (0, h, m) => format!("Saa {h} na dakika {m}"),
        (d, 0, 0) if d % 7 == 0 => format!("Wiki {}", d / 7),
        (d, 0, _) => format!("Siku {d}"),
        (d, h, _) => format!("Siku {d} na saa {h}"),
    }
}

fn sw_speed(down: Option<i64>, up: Option<i64>) -> String {
    let rate = |r: Option<i64>| r.map_or_else(|| "bila kikomo".to_owned(), |kbps| portal::rate(u32::try_from(kbps).unwrap_or(u32::MAX)));
    format!("kupakua {}, kupakia {}", rate(down), rate(up))
}
