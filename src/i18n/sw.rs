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
const MONEY: AdminMoneyWords = AdminMoneyWords {};

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {};
