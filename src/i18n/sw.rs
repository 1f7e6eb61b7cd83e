//! Every word in Swahili (see `mod.rs`). One `const` per section, so each section can be
//! read (and reviewed by a speaker) on its own.

use super::*;

pub const WORDS: Words = Words { portal: PORTAL, admin: ADMIN, money: MONEY, shop: SHOP };

// ---- The portal, its status and payment pages, and the SMS texts ----
const PORTAL: PortalWords = PortalWords {};

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
    duration: sw_duration,
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

fn sw_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("dakika {m}"),
        (0, _) => format!("saa {h} dakika {m}"),
        _ => format!("siku {d} saa {h}"),
    }
}

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {};
