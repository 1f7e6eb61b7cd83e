//! The RADIUS attribute numbers and values hotspotd reads or writes (RFC 2865, 2866, 2869,
//! 3579, 5176, and the MikroTik, ChilliSpot and WISPr vendor dictionaries as FreeRADIUS 3.2
//! ships them). Numbers only: how a package's limits map onto them is `dialect`'s.

// RFC 2865 / 2866 / 2869 / 3579 / 5176 attribute types.
pub const USER_NAME: u8 = 1;
pub const USER_PASSWORD: u8 = 2;
pub const CHAP_PASSWORD: u8 = 3;
pub const NAS_IP_ADDRESS: u8 = 4;
pub const NAS_PORT: u8 = 5;
pub const SERVICE_TYPE: u8 = 6;
pub const FRAMED_PROTOCOL: u8 = 7;
pub const FRAMED_IP_ADDRESS: u8 = 8;
pub const FILTER_ID: u8 = 11;
pub const REPLY_MESSAGE: u8 = 18;
pub const STATE: u8 = 24;
pub const CLASS: u8 = 25;
pub const VENDOR_SPECIFIC: u8 = 26;
pub const SESSION_TIMEOUT: u8 = 27;
pub const IDLE_TIMEOUT: u8 = 28;
pub const TERMINATION_ACTION: u8 = 29;
pub const CALLED_STATION_ID: u8 = 30;
pub const CALLING_STATION_ID: u8 = 31;
pub const NAS_IDENTIFIER: u8 = 32;
pub const PROXY_STATE: u8 = 33;
pub const ACCT_STATUS_TYPE: u8 = 40;
pub const ACCT_DELAY_TIME: u8 = 41;
pub const ACCT_INPUT_OCTETS: u8 = 42;
pub const ACCT_OUTPUT_OCTETS: u8 = 43;
pub const ACCT_SESSION_ID: u8 = 44;
pub const ACCT_AUTHENTIC: u8 = 45;
pub const ACCT_SESSION_TIME: u8 = 46;
pub const ACCT_INPUT_PACKETS: u8 = 47;
pub const ACCT_OUTPUT_PACKETS: u8 = 48;
pub const ACCT_TERMINATE_CAUSE: u8 = 49;
pub const ACCT_MULTI_SESSION_ID: u8 = 50;
pub const ACCT_INPUT_GIGAWORDS: u8 = 52;
pub const ACCT_OUTPUT_GIGAWORDS: u8 = 53;
pub const EVENT_TIMESTAMP: u8 = 55;
pub const CHAP_CHALLENGE: u8 = 60;
pub const NAS_PORT_TYPE: u8 = 61;
pub const EAP_MESSAGE: u8 = 79;
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
pub const ACCT_INTERIM_INTERVAL: u8 = 85;
pub const NAS_PORT_ID: u8 = 87;
pub const ERROR_CAUSE: u8 = 101;

// Acct-Status-Type values (RFC 2866 §5.1).
pub const ACCT_STATUS_START: u32 = 1;
pub const ACCT_STATUS_STOP: u32 = 2;
pub const ACCT_STATUS_INTERIM_UPDATE: u32 = 3;
pub const ACCT_STATUS_ACCOUNTING_ON: u32 = 7;
pub const ACCT_STATUS_ACCOUNTING_OFF: u32 = 8;

// Acct-Terminate-Cause values (RFC 2866 §5.10).
pub const TERMINATE_CAUSE_USER_REQUEST: u32 = 1;
pub const TERMINATE_CAUSE_LOST_CARRIER: u32 = 2;
pub const TERMINATE_CAUSE_LOST_SERVICE: u32 = 3;
pub const TERMINATE_CAUSE_IDLE_TIMEOUT: u32 = 4;
pub const TERMINATE_CAUSE_SESSION_TIMEOUT: u32 = 5;
pub const TERMINATE_CAUSE_ADMIN_RESET: u32 = 6;
pub const TERMINATE_CAUSE_ADMIN_REBOOT: u32 = 7;
pub const TERMINATE_CAUSE_PORT_ERROR: u32 = 8;
pub const TERMINATE_CAUSE_NAS_ERROR: u32 = 9;
pub const TERMINATE_CAUSE_NAS_REQUEST: u32 = 10;
pub const TERMINATE_CAUSE_NAS_REBOOT: u32 = 11;
pub const TERMINATE_CAUSE_SERVICE_UNAVAILABLE: u32 = 15;

// Error-Cause values (RFC 5176 §3.5).
pub const ERROR_CAUSE_RESIDUAL_SESSION_CONTEXT_REMOVED: u32 = 201;
pub const ERROR_CAUSE_UNSUPPORTED_ATTRIBUTE: u32 = 401;
pub const ERROR_CAUSE_MISSING_ATTRIBUTE: u32 = 402;
pub const ERROR_CAUSE_NAS_IDENTIFICATION_MISMATCH: u32 = 403;
pub const ERROR_CAUSE_INVALID_REQUEST: u32 = 404;
pub const ERROR_CAUSE_UNSUPPORTED_SERVICE: u32 = 405;
pub const ERROR_CAUSE_SESSION_CONTEXT_NOT_FOUND: u32 = 503;
pub const ERROR_CAUSE_SESSION_CONTEXT_NOT_REMOVABLE: u32 = 504;
pub const ERROR_CAUSE_RESOURCES_UNAVAILABLE: u32 = 506;

// MikroTik (dictionary.mikrotik).
pub const VENDOR_MIKROTIK: u32 = 14988;
pub const MIKROTIK_RECV_LIMIT: u8 = 1;
pub const MIKROTIK_XMIT_LIMIT: u8 = 2;
pub const MIKROTIK_GROUP: u8 = 3;
/// `rx/tx` from the router's view: rx is what the client uploads.
pub const MIKROTIK_RATE_LIMIT: u8 = 8;
pub const MIKROTIK_RECV_LIMIT_GIGAWORDS: u8 = 14;
pub const MIKROTIK_XMIT_LIMIT_GIGAWORDS: u8 = 15;
pub const MIKROTIK_TOTAL_LIMIT: u8 = 17;
pub const MIKROTIK_TOTAL_LIMIT_GIGAWORDS: u8 = 18;

// ChilliSpot / CoovaChilli / uspot (dictionary.chillispot).
pub const VENDOR_CHILLI: u32 = 14559;
pub const CHILLI_MAX_INPUT_OCTETS: u8 = 1;
pub const CHILLI_MAX_OUTPUT_OCTETS: u8 = 2;
pub const CHILLI_MAX_TOTAL_OCTETS: u8 = 3;
/// kbit/s.
pub const CHILLI_BANDWIDTH_MAX_UP: u8 = 4;
/// kbit/s.
pub const CHILLI_BANDWIDTH_MAX_DOWN: u8 = 5;

// WISPr (dictionary.wispr).
pub const VENDOR_WISPR: u32 = 14122;
/// bit/s.
pub const WISPR_BANDWIDTH_MAX_UP: u8 = 7;
/// bit/s.
pub const WISPR_BANDWIDTH_MAX_DOWN: u8 = 8;

/// A standard attribute's name, for log lines (`None`: not one we name).
pub fn attribute_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        USER_NAME => "User-Name",
        USER_PASSWORD => "User-Password",
        CHAP_PASSWORD => "CHAP-Password",
        NAS_IP_ADDRESS => "NAS-IP-Address",
        NAS_PORT => "NAS-Port",
        SERVICE_TYPE => "Service-Type",
        FRAMED_PROTOCOL => "Framed-Protocol",
        FRAMED_IP_ADDRESS => "Framed-IP-Address",
        FILTER_ID => "Filter-Id",
        REPLY_MESSAGE => "Reply-Message",
        STATE => "State",
        CLASS => "Class",
        VENDOR_SPECIFIC => "Vendor-Specific",
        SESSION_TIMEOUT => "Session-Timeout",
        IDLE_TIMEOUT => "Idle-Timeout",
        TERMINATION_ACTION => "Termination-Action",
        CALLED_STATION_ID => "Called-Station-Id",
        CALLING_STATION_ID => "Calling-Station-Id",
        NAS_IDENTIFIER => "NAS-Identifier",
        PROXY_STATE => "Proxy-State",
        ACCT_STATUS_TYPE => "Acct-Status-Type",
        ACCT_DELAY_TIME => "Acct-Delay-Time",
        ACCT_INPUT_OCTETS => "Acct-Input-Octets",
        ACCT_OUTPUT_OCTETS => "Acct-Output-Octets",
        ACCT_SESSION_ID => "Acct-Session-Id",
        ACCT_AUTHENTIC => "Acct-Authentic",
        ACCT_SESSION_TIME => "Acct-Session-Time",
        ACCT_INPUT_PACKETS => "Acct-Input-Packets",
        ACCT_OUTPUT_PACKETS => "Acct-Output-Packets",
        ACCT_TERMINATE_CAUSE => "Acct-Terminate-Cause",
        ACCT_MULTI_SESSION_ID => "Acct-Multi-Session-Id",
        ACCT_INPUT_GIGAWORDS => "Acct-Input-Gigawords",
        ACCT_OUTPUT_GIGAWORDS => "Acct-Output-Gigawords",
        EVENT_TIMESTAMP => "Event-Timestamp",
        CHAP_CHALLENGE => "CHAP-Challenge",
        NAS_PORT_TYPE => "NAS-Port-Type",
        EAP_MESSAGE => "EAP-Message",
        MESSAGE_AUTHENTICATOR => "Message-Authenticator",
        ACCT_INTERIM_INTERVAL => "Acct-Interim-Interval",
        NAS_PORT_ID => "NAS-Port-Id",
        ERROR_CAUSE => "Error-Cause",
        _ => return None,
    })
}
