//! The declarative table of every group and key the reader knows, in the
//! spirit of Kannel's `gwlib/cfg.def`: the key list is the one `bearerbox -g`
//! of Kannel 1.4.5 prints, plus our own keys, each with the type its value is
//! checked against at load time.

/// How a key's value is read and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Free text (paths, URLs, names, regular expressions).
    Text,
    /// An integer read with C `strtol` (base 0) leniency.
    Integer,
    /// An integer, or `auto`: Kannel reads `speed = auto` as no number, which
    /// means autodetect, exactly what the writer wanted.
    IntegerOrAuto,
    /// An integer between 0 and 65535.
    Port,
    /// Kannel's boolean spelling: `yes/no/true/false/on/off/1/0`.
    Boolean,
    /// A decimal number such as `0.5` or `10`.
    Decimal,
    /// A `;`-separated list of items.
    List,
    /// A `;`-separated list of IP patterns, `*` standing for one octet.
    IpList,
    /// A `;`-separated list of numbers and `low-high` ranges, e.g. `1-5;7`.
    NumberRange,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
}

impl ValueType {
    /// How a message names what the value should have been.
    pub fn expectation(self) -> String {
        match self {
            ValueType::Text => "text".to_owned(),
            ValueType::Integer => "an integer".to_owned(),
            ValueType::IntegerOrAuto => "an integer or 'auto'".to_owned(),
            ValueType::Port => "a port number".to_owned(),
            ValueType::Boolean => "a boolean (yes/no/true/false/on/off/1/0)".to_owned(),
            ValueType::Decimal => "a decimal number".to_owned(),
            ValueType::List => "a ';'-separated list".to_owned(),
            ValueType::IpList => "a ';'-separated list of IP addresses".to_owned(),
            ValueType::NumberRange => "a list of numbers and ranges such as 1-5;7".to_owned(),
            ValueType::OneOf(words) => format!("one of {}", words.join(", ")),
        }
    }
}

/// Whether a kind of group may appear once or many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// Given twice, the last one wins (Kannel does the same, silently).
    Single,
    Multi,
}

/// What the gateway does with a kind of group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read and used by bearerbox or smsbox.
    Sms,
    /// WAP, OTA and other groups this gateway does not serve: keys are still
    /// checked against Kannel's list (Kannel would refuse a typo there too),
    /// then the group is ignored with one warning.
    Ignored,
}

#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    pub name: &'static str,
    pub ty: ValueType,
}

#[derive(Debug, Clone, Copy)]
pub struct GroupDef {
    pub name: &'static str,
    pub cardinality: Cardinality,
    pub role: Role,
    pub keys: &'static [KeyDef],
}

impl GroupDef {
    pub fn key(&self, name: &str) -> Option<&'static KeyDef> {
        self.keys.iter().find(|k| k.name == name)
    }
}

/// Values of `dlr-storage` Kannel 1.4.5 knows (`gw/dlr.c`).
pub const DLR_STORAGES: &[&str] = &[
    "internal",
    "spool",
    "mysql",
    "pgsql",
    "sqlite3",
    "mssql",
    "oracle",
    "sdb",
    "redis",
    "cassandra",
];

/// Values of `store-type`; `redis` goes with a `store-db` group.
pub const STORE_TYPES: &[&str] = &["file", "spool", "redis"];

/// SMSC drivers: Kannel's own, the legacy names its wrapper accepted, and
/// `sim`, our built-in simulated SMSC.
pub const SMSC_TYPES: &[&str] = &[
    "smpp", "at", "fake", "http", "emi", "cimd2", "smasi", "oisd", "cgw", "loopback", "parlayx",
    "cimd", "emi_x25", "sema", "ois", "sim",
];

pub const TLV_TYPES: &[&str] = &["integer", "nulterminated", "octetstring"];

/// Names people write for a key that edit distance cannot guess:
/// `(group, what was written, the key meant)`.
pub const MISNAMED: &[(&str, &str, &str)] = &[
    ("modems", "baudrate", "speed"),
    ("smsc", "baudrate", "speed"),
    ("smsc", "password", "smsc-password"),
    ("smsc", "username", "smsc-username"),
    ("smsc", "type", "smsc"),
    ("smsc", "id", "smsc-id"),
    ("sms-service", "default-sender", "faked-sender"),
    ("smsbox", "port", "sendsms-port"),
    ("core", "port", "admin-port"),
    ("core", "password", "admin-password"),
];

/// Group names of Mbuni (the MMS gateway built on Kannel's parser) and other
/// MMS add-ons: configurations shared with them load, the groups are skipped.
pub fn is_mms_group(name: &str) -> bool {
    name.starts_with("mms") || name == "mbuni" || name == "send-mms-user"
}

/// Builds `GROUPS` from one readable table: `"name" Single Sms { "key": Type, ... }`.
macro_rules! schema {
    ($( $group:literal $card:ident $role:ident { $( $key:literal : $ty:expr ),* $(,)? } )*) => {
        /// Every group the reader knows, in the order of `bearerbox -g`.
        pub const GROUPS: &[GroupDef] = &[
            $( GroupDef {
                name: $group,
                cardinality: Cardinality::$card,
                role: Role::$role,
                keys: &[ $( KeyDef { name: $key, ty: $ty } ),* ],
            } ),*
        ];
    };
}

use ValueType::{
    Boolean as B, Decimal as D, Integer as I, IpList as Ip, List as L, Port as P, Text as T,
};

const DLR: ValueType = ValueType::OneOf(DLR_STORAGES);
const STORE: ValueType = ValueType::OneOf(STORE_TYPES);
const SMSC: ValueType = ValueType::OneOf(SMSC_TYPES);
const TLV: ValueType = ValueType::OneOf(TLV_TYPES);

schema! {
    "core" Single Sms {
        "admin-port": P, "admin-port-ssl": B, "admin-interface": T, "admin-password": T,
        "status-password": T, "admin-deny-ip": Ip, "admin-allow-ip": Ip,
        "smsbox-port": P, "smsbox-port-ssl": B, "smsbox-interface": T, "smsbox-max-pending": I,
        "wapbox-port": P, "wapbox-port-ssl": B, "box-deny-ip": Ip, "box-allow-ip": Ip,
        "udp-deny-ip": Ip, "udp-allow-ip": Ip, "wdp-interface-name": T,
        "log-file": T, "log-level": I, "syslog-level": T, "syslog-facility": T,
        "access-log": T, "access-log-time": T, "access-log-format": T, "access-log-clean": B,
        "store-file": T, "store-dump-freq": I, "store-type": STORE, "store-location": T,
        "unified-prefix": T,
        "white-list": T, "white-list-regex": T, "black-list": T, "black-list-regex": T,
        "white-list-sender": T, "white-list-sender-regex": T,
        "black-list-sender": T, "black-list-sender-regex": T,
        "white-list-receiver": T, "white-list-receiver-regex": T,
        "black-list-receiver": T, "black-list-receiver-regex": T,
        "http-proxy-host": T, "http-proxy-port": P, "http-proxy-ssl": B,
        "http-proxy-exceptions": T, "http-proxy-exceptions-regex": T,
        "http-proxy-username": T, "http-proxy-password": T,
        "ssl-client-certkey-file": T, "ssl-server-cert-file": T, "ssl-server-key-file": T,
        "ssl-trusted-ca-file": T, "ssl-client-cipher-list": T, "ssl-server-cipher-list": T,
        "dlr-storage": DLR, "dlr-spool": T, "maximum-queue-length": I,
        "sms-incoming-queue-limit": I, "sms-outgoing-queue-limit": I,
        "sms-resend-freq": I, "sms-resend-retry": I,
        "sms-combine-concatenated-mo": B, "sms-combine-concatenated-mo-timeout": I,
        "http-timeout": I,
    }
    "wapbox" Single Ignored {
        "bearerbox-host": T, "timer-freq": T, "url-map": T, "map-url": T, "map-url-max": T,
        "map-url-0": T, "map-url-1": T, "map-url-2": T, "map-url-3": T, "map-url-4": T,
        "map-url-5": T, "map-url-6": T, "map-url-7": T, "map-url-8": T, "map-url-9": T,
        "device-home": T, "log-file": T, "log-level": T, "syslog-level": T,
        "syslog-facility": T, "smart-errors": T, "access-log": T, "access-log-time": T,
        "access-log-clean": T, "http-interface-name": T, "concatenation": T,
        "max-messages": T, "wml-strict": T, "http-timeout": T,
    }
    "wap-url-map" Multi Ignored {
        "name": T, "url": T, "map-url": T, "send-msisdn-query": T, "send-msisdn-header": T,
        "send-msisdn-format": T, "accept-cookies": T,
    }
    "wap-user-map" Multi Ignored { "name": T, "user": T, "pass": T, "msisdn": T }
    "wtls" Single Ignored { "certificate-file": T, "privatekey-file": T, "privatekey-password": T }
    "ppg" Single Ignored {
        "ppg-url": T, "ppg-port": T, "ppg-ssl-port": T, "trusted-pi": T,
        "concurrent-pushes": T, "users": T, "ppg-allow-ip": T, "ppg-deny-ip": T,
        "ssl-server-cert-file": T, "ssl-server-key-file": T, "global-sender": T,
        "default-smsc": T, "default-dlr-url": T, "ppg-smsbox-id": T, "service-name": T,
    }
    "wap-push-user" Multi Ignored {
        "wap-push-user": T, "ppg-username": T, "ppg-password": T, "country-prefix": T,
        "allowed-prefix": T, "allowed-prefix-regex": T, "denied-prefix": T,
        "denied-prefix-regex": T, "white-list": T, "white-list-regex": T,
        "black-list-regex": T, "black-list": T, "deny-ip": T, "allow-ip": T,
        "forced-smsc": T, "default-smsc": T, "dlr-url": T, "smsbox-id": T,
    }
    "test-ppg" Single Ignored {
        "retries": T, "pi-ssl": T, "ssl-client-certkey-file": T, "ssl-trusted-ca-file": T,
    }
    "configuration" Single Ignored {
        "push-url": T, "content-file": T, "pap-file": T, "username": T, "password": T,
    }
    "smsbox" Single Sms {
        "smsbox-id": T, "bearerbox-host": T, "bearerbox-port": P, "bearerbox-port-ssl": B,
        "sendsms-port": P, "sendsms-port-ssl": B, "sendsms-interface": T,
        "sendsms-url": T, "sendota-url": T, "xmlrpc-url": T, "sendsms-chars": T,
        "global-sender": T, "log-file": T, "log-level": I, "syslog-level": T,
        "syslog-facility": T, "access-log": T, "access-log-time": T, "access-log-clean": B,
        "sms-length": I, "reply-couldnotfetch": T, "reply-couldnotrepresent": T,
        "reply-requestfailed": T, "reply-emptymessage": T,
        "allowed-prefix": L, "denied-prefix": L, "white-list": T, "black-list": T,
        "mo-recode": B, "http-request-retry": I, "http-queue-delay": I,
        "white-list-regex": T, "black-list-regex": T, "immediate-sendsms-reply": B,
        "max-pending-requests": I, "http-timeout": I,
        // Ours: where sendsms-user credits are kept.
        "accounts-db": T,
    }
    "smsbox-route" Multi Sms { "smsbox-id": T, "smsc-id": L, "shortcode": L }
    "smsc" Multi Sms {
        "smsc": SMSC, "smsc-id": T, "smsc-admin-id": T,
        "denied-smsc-id": L, "allowed-smsc-id": L, "preferred-smsc-id": L,
        "allowed-prefix": L, "denied-prefix": L, "preferred-prefix": L, "unified-prefix": T,
        "reroute": B, "reroute-smsc-id": T, "reroute-receiver": T, "reroute-dlr": B,
        "log-file": T, "log-level": I, "log-format": I, "our-host": T, "alt-dcs": B,
        "throughput": D, "dead-start": B, "alt-charset": T, "host": T, "alt-host": T,
        "port": P, "use-ssl": B, "alt-port": P, "smsc-username": T, "smsc-password": T,
        "keepalive": I, "sim-buffering": B, "modemtype": T, "device": T, "speed": ValueType::IntegerOrAuto,
        "validityperiod": I, "our-port": P, "receive-port": P, "our-receiver-port": P,
        "connect-allow-ip": Ip, "system-id": T, "system-type": T, "address-range": T,
        "ois-debug-level": I, "modem-type": T, "pin": T, "phone": T, "send-url": T,
        "dlr-url": T, "sender-prefix": T, "flow-control": I, "wait-ack": I,
        "wait-ack-expire": I, "no-sender": B, "no-coding": B, "window": I,
        "idle-timeout": I, "no-sep": B, "appname": T, "ussdc": T, "session-length": I,
        "my-number": T, "sms-center": T, "source-addr-ton": I, "source-addr-npi": I,
        "dest-addr-ton": I, "dest-addr-npi": I, "bind-addr-ton": I, "bind-addr-npi": I,
        "service-type": T, "esm-class": I, "source-addr-autodetect": B,
        "enquire-link-interval": I, "max-pending-submits": I, "reconnect-delay": I,
        "transceiver-mode": B, "interface-version": I, "priority": I,
        "notification-pid": I, "notification-addr": T, "msg-id-type": I, "no-dlr": B,
        "connection-timeout": I, "allowed-smsc-id-regex": T, "denied-smsc-id-regex": T,
        "preferred-smsc-id-regex": T, "allowed-prefix-regex": T, "denied-prefix-regex": T,
        "preferred-prefix-regex": T, "max-error-count": I, "alt-addr-charset": T,
        "status-success-regex": T, "status-permfail-regex": T, "status-tempfail-regex": T,
        "max-sms-octets": I, "login-prompt": T, "password-prompt": T,
        "ssl-client-certkey-file": T,
        "generic-param-username": T, "generic-param-password": T, "generic-param-from": T,
        "generic-param-to": T, "generic-param-text": T, "generic-param-udh": T,
        "generic-param-service": T, "generic-param-account": T, "generic-param-binfo": T,
        "generic-param-dlr-mask": T, "generic-param-dlr-err": T, "generic-param-dlr-url": T,
        "generic-param-dlr-mid": T, "generic-param-flash": T, "generic-param-mclass": T,
        "generic-param-mwi": T, "generic-param-coding": T, "generic-param-validity": T,
        "generic-param-deferred": T, "generic-param-foreign-id": T,
        "generic-param-meta-data": T, "generic-message-sent": T, "generic-status-sent": I,
        "generic-status-error": I, "generic-foreign-id-regex": T, "instances": I,
        // The legacy `sema` driver's X.25 settings.
        "smsc_nua": T, "home_nua": T, "wait_report": T,
        // Ours: the price of one message part sent over this link.
        "cost": D,
        // Ours (smpp): how a long message goes out: `udh` (Kannel's), `sar`
        // (sar_* TLVs) or `payload` (one submit_sm with message_payload).
        "long-messages": T,
    }
    "sms-service" Multi Sms {
        "name": T, "keyword": T, "aliases": L, "url": T, "get-url": T, "post-url": T,
        "post-xml": T, "file": T, "text": T, "exec": T, "accepted-smsc": L,
        "accepted-smsc-regex": T, "accepted-account": L, "accepted-account-regex": T,
        "forced-smsc": T, "default-smsc": T, "faked-sender": T, "max-messages": I,
        "concatenation": B, "split-chars": T, "split-suffix": T, "omit-empty": B,
        "header": T, "footer": T, "prefix": T, "suffix": T, "assume-plain-text": B,
        "accept-x-kannel-headers": B, "strip-keyword": B, "send-sender": B, "catch-all": B,
        "allowed-prefix": L, "allowed-prefix-regex": T, "denied-prefix": L,
        "denied-prefix-regex": T, "allowed-receiver-prefix": L,
        "allowed-receiver-prefix-regex": T, "denied-receiver-prefix": L,
        "denied-receiver-prefix-regex": T, "white-list": T, "white-list-regex": T,
        "black-list": T, "black-list-regex": T, "dlr-url": T, "dlr-mask": I,
        "keyword-regex": T, "alt-charset": T,
    }
    "sendsms-user" Multi Sms {
        "name": T, "username": T, "password": T, "user-deny-ip": Ip, "user-allow-ip": Ip,
        "forced-smsc": T, "default-smsc": T, "faked-sender": T, "default-sender": T,
        "max-messages": I, "concatenation": B, "split-chars": T, "split-suffix": T,
        "omit-empty": B, "header": T, "footer": T, "allowed-prefix": L, "denied-prefix": L,
        "white-list": T, "black-list": T, "dlr-url": T, "allowed-prefix-regex": T,
        "denied-prefix-regex": T, "white-list-regex": T, "black-list-regex": T,
        // Ours: prepaid message parts, and whether a failed send gives them back.
        "credits": I, "refund-on-failure": B,
    }
    "ota-setting" Multi Ignored {
        "ota-id": T, "location": T, "service": T, "ipaddress": T, "phonenumber": T,
        "bearer": T, "connection": T, "calltype": T, "speed": T, "pppsecurity": T,
        "authentication": T, "login": T, "secret": T,
    }
    "ota-bookmark" Multi Ignored { "ota-id": T, "name": T, "url": T }
    "modems" Multi Sms {
        "id": T, "name": T, "detect-string": T, "detect-string2": T, "init-string": T,
        "speed": I, "enable-hwhs": T, "need-sleep": B, "no-pin": B, "no-smsc": B,
        "sendline-sleep": I, "keepalive-cmd": T, "broken": B, "message-storage": T,
        "message-start": I, "enable-mms": B, "reset-string": T, "hardware-flow-control": B,
    }
    "mssql-connection" Multi Sms {
        "id": T, "username": T, "password": T, "server": T, "database": T, "max-connections": I,
    }
    "mysql-connection" Multi Sms {
        "id": T, "host": T, "port": P, "username": T, "password": T, "database": T,
        "max-connections": I,
    }
    "oracle-connection" Multi Sms {
        "id": T, "username": T, "password": T, "tnsname": T, "max-connections": I,
    }
    "sdb-connection" Multi Sms { "id": T, "url": T, "max-connections": I }
    "pgsql-connection" Multi Sms {
        "id": T, "host": T, "port": P, "username": T, "password": T, "database": T,
        "max-connections": I,
    }
    "sqlite-connection" Multi Sms {
        "id": T, "database": T, "max-connections": I, "lock-timeout": I,
    }
    "sqlite3-connection" Multi Sms {
        "id": T, "database": T, "max-connections": I, "lock-timeout": I,
    }
    "redis-connection" Multi Sms {
        "id": T, "host": T, "port": P, "password": T, "database": I, "max-connections": I,
        "idle-timeout": I,
    }
    "cassandra-connection" Multi Sms {
        "id": T, "host": T, "port": P, "username": T, "password": T, "database": T,
        "max-connections": I, "idle-timeout": I,
    }
    "dlr-db" Single Sms {
        "id": T, "table": T, "ttl": I, "field-smsc": T, "field-timestamp": T,
        "field-source": T, "field-destination": T, "field-service": T, "field-url": T,
        "field-mask": T, "field-status": T, "field-boxc-id": T,
    }
    "store-db" Single Sms { "id": T, "table": T, "hash": T }
    "radius-acct" Single Ignored {
        "our-host": T, "our-port": T, "remote-host": T, "remote-port": T,
        "remote-timeout": T, "nas-ports": T, "secret-nas": T, "secret-radius": T,
        "unified-prefix": T,
    }
    "smpp-tlv" Multi Sms {
        "name": T, "tag": I, "length": I, "type": TLV, "smsc-id": L, "const": T,
    }
}

/// The definition of a group name, exactly as written (names are case-sensitive).
pub fn group(name: &str) -> Option<&'static GroupDef> {
    GROUPS.iter().find(|g| g.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_group_lists_a_key_twice() {
        for g in GROUPS {
            for (i, k) in g.keys.iter().enumerate() {
                assert!(
                    !g.keys[i + 1..].iter().any(|o| o.name == k.name),
                    "{} lists {} twice",
                    g.name,
                    k.name
                );
            }
        }
    }

    #[test]
    fn group_names_are_unique() {
        for (i, g) in GROUPS.iter().enumerate() {
            assert!(
                !GROUPS[i + 1..].iter().any(|o| o.name == g.name),
                "{}",
                g.name
            );
        }
    }

    #[test]
    fn our_own_keys_are_in_the_table() {
        let ty = |g: &str, k: &str| group(g).and_then(|g| g.key(k)).map(|k| k.ty);
        assert_eq!(ty("sendsms-user", "credits"), Some(ValueType::Integer));
        assert_eq!(
            ty("sendsms-user", "refund-on-failure"),
            Some(ValueType::Boolean)
        );
        assert_eq!(ty("smsc", "cost"), Some(ValueType::Decimal));
        assert_eq!(ty("smsbox", "accounts-db"), Some(ValueType::Text));
    }
}
