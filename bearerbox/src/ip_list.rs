//! Kannel's IP lists (`box-allow-ip = "127.0.0.1;192.168.0.*"`): `;`-separated
//! addresses where `*` stands for any one octet.
//!
//! Kannel's rule for an allow/deny pair: an address on the allow list is
//! accepted; else one on the deny list is refused; else it is accepted.

use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpList {
    patterns: Vec<String>,
}

impl IpList {
    pub fn parse(text: &str) -> IpList {
        IpList {
            patterns: text
                .split(';')
                .map(str::trim)
                .filter(|pattern| !pattern.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        let text = address.to_string();
        self.patterns.iter().any(|pattern| matches(pattern, &text))
    }
}

fn matches(pattern: &str, address: &str) -> bool {
    let mut pattern_parts = pattern.split('.');
    let mut address_parts = address.split('.');
    loop {
        match (pattern_parts.next(), address_parts.next()) {
            (None, None) => return true,
            (Some(p), Some(a)) if p == "*" || p == a => continue,
            _ => return false,
        }
    }
}

/// An allow list and a deny list, judged as Kannel judges them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAccess {
    pub allow: IpList,
    pub deny: IpList,
}

impl IpAccess {
    pub fn permits(&self, address: IpAddr) -> bool {
        self.allow.contains(address) || !self.deny.contains(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_star_matches_any_one_octet() {
        let list = IpList::parse("127.0.0.1; 192.168.0.*");
        assert!(list.contains(ip("127.0.0.1")));
        assert!(list.contains(ip("192.168.0.77")));
        assert!(!list.contains(ip("192.168.1.77")));
        assert!(!list.contains(ip("127.0.0.2")));
    }

    #[test]
    fn the_usual_deny_all_allow_loopback_pattern_works() {
        let access = IpAccess {
            allow: IpList::parse("127.0.0.1"),
            deny: IpList::parse("*.*.*.*"),
        };
        assert!(access.permits(ip("127.0.0.1")));
        assert!(access.permits(ip("::ffff:127.0.0.1")));
        assert!(!access.permits(ip("10.0.0.1")));
    }

    #[test]
    fn with_no_lists_everyone_is_permitted() {
        assert!(IpAccess::default().permits(ip("10.1.2.3")));
    }

    #[test]
    fn values_kannel_keeps_literally_match_nothing() {
        assert!(!IpList::parse("0.0.0.0/0").contains(ip("10.0.0.1")));
        assert!(!IpList::parse("\\*.\\*.\\*.\\*").contains(ip("10.0.0.1")));
    }
}
