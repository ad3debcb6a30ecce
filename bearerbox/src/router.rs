//! Choosing an SMSC for a message: Kannel's rules, then least cost.
//!
//! Pure: the router sees the rules of each SMSC and its current state, never
//! a connection. Kannel's semantics (reference/kannel.md §7.1) decide which
//! SMSCs are *allowed* for a message and which are *preferred*; among the
//! allowed ones that are online, ours picks preferred first, then the lowest
//! `cost`, then the lowest load. The order of the remaining candidates is the
//! failover order.
//!
//! ```text
//! message (receiver, smsc hint) ──▶ allowed? ──▶ preferred? ──▶ online? ──▶ cost, load ──▶ Route
//! ```

use std::cmp::Ordering;

/// Kannel's `unified-prefix` rules: `"+358,00358,0;+,00"` means "a number
/// starting with `00358` or `0` is rewritten to start with `+358`", and so on;
/// `-` as the first element removes the matched prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnifiedPrefix {
    rules: Vec<(String, Vec<String>)>,
}

impl UnifiedPrefix {
    pub fn parse(text: &str) -> UnifiedPrefix {
        let rules = text
            .split(';')
            .filter_map(|rule| {
                let mut items = rule
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty());
                let official = items.next()?.to_owned();
                Some((official, items.map(str::to_owned).collect()))
            })
            .collect();
        UnifiedPrefix { rules }
    }

    /// Rewrites `number` by the first rule whose official prefix or one of
    /// whose alternatives it starts with; a number already in the official
    /// form is left alone and stops the search, as in Kannel.
    pub fn normalise(&self, number: &str) -> String {
        for (official, alternatives) in &self.rules {
            if official != "-" && number.starts_with(official.as_str()) {
                return number.to_owned();
            }
            for alternative in alternatives {
                if let Some(rest) = number.strip_prefix(alternative.as_str()) {
                    return if official == "-" {
                        rest.to_owned()
                    } else {
                        format!("{official}{rest}")
                    };
                }
            }
        }
        number.to_owned()
    }
}

/// A set of prefixes (`allowed-prefix = "+39;0039"`) with an optional regex.
#[derive(Debug, Clone, Default)]
pub struct PrefixRule {
    pub prefixes: Vec<String>,
    pub regex: Option<regex::Regex>,
}

impl PrefixRule {
    pub fn is_set(&self) -> bool {
        !self.prefixes.is_empty() || self.regex.is_some()
    }

    pub fn matches(&self, number: &str) -> bool {
        self.prefixes.iter().any(|p| number.starts_with(p.as_str()))
            || self.regex.as_ref().is_some_and(|r| r.is_match(number))
    }
}

/// A set of smsc-ids (`allowed-smsc-id = "a;b"`) with an optional regex.
#[derive(Debug, Clone, Default)]
pub struct IdRule {
    pub ids: Vec<String>,
    pub regex: Option<regex::Regex>,
}

impl IdRule {
    pub fn is_set(&self) -> bool {
        !self.ids.is_empty() || self.regex.is_some()
    }

    /// Kannel compares smsc-ids case-sensitively.
    pub fn matches(&self, id: Option<&str>) -> bool {
        let Some(id) = id else { return false };
        self.ids.iter().any(|known| known == id)
            || self.regex.as_ref().is_some_and(|r| r.is_match(id))
    }
}

/// The routing keys of one `smsc` group.
#[derive(Debug, Clone, Default)]
pub struct SmscRules {
    pub smsc_id: String,
    pub allowed_smsc_id: IdRule,
    pub denied_smsc_id: IdRule,
    pub preferred_smsc_id: IdRule,
    pub allowed_prefix: PrefixRule,
    pub denied_prefix: PrefixRule,
    pub preferred_prefix: PrefixRule,
    /// Ours: price per message part; absent costs nothing.
    pub cost: f64,
}

/// The router takes any list of links that can show their rules: the
/// switchboard passes its links as they are, rather than a copy of every
/// link's rules (prefix lists included) for each message.
impl AsRef<SmscRules> for SmscRules {
    fn as_ref(&self) -> &SmscRules {
        self
    }
}

impl SmscRules {
    /// Kannel's `smscconn_usable`: may this link carry the message at all?
    pub fn allows(&self, hint: Option<&str>, receiver: &str) -> bool {
        if self.allowed_smsc_id.is_set() {
            if !self.allowed_smsc_id.matches(hint) {
                return false;
            }
        } else if self.denied_smsc_id.is_set() && self.denied_smsc_id.matches(hint) {
            return false;
        }
        let allowed = self.allowed_prefix.matches(receiver);
        let denied = self.denied_prefix.matches(receiver);
        match (self.allowed_prefix.is_set(), self.denied_prefix.is_set()) {
            (true, false) => allowed,
            (false, true) => !denied,
            (true, true) => allowed || !denied,
            (false, false) => true,
        }
    }

    pub fn prefers(&self, hint: Option<&str>, receiver: &str) -> bool {
        self.preferred_smsc_id.matches(hint) || self.preferred_prefix.matches(receiver)
    }
}

/// What the router knows of a link right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkState {
    /// Connected and bound: can take a message now.
    pub online: bool,
    /// Stopped by the operator or removed: not a candidate at all.
    pub stopped: bool,
    /// Messages waiting in or in flight on the link.
    pub load: usize,
}

/// The router's answer for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Send now on `links[0]`; the rest, in order, are the failover.
    Online(Vec<usize>),
    /// Allowed links exist but none is online: wait for one (`3: Queued`).
    Waiting(Vec<usize>),
    /// No link may carry it (`Not routable. Do not try again.`).
    NotRoutable,
}

/// Every link allowed for a message, online or not, best first: preferred,
/// then cheapest, then in configuration order. The message's lane in the
/// store is this list; which of them sends is decided when it is sent.
pub fn candidates(
    links: &[impl AsRef<SmscRules>],
    states: &[LinkState],
    hint: Option<&str>,
    receiver: &str,
) -> Vec<usize> {
    let mut ranked: Vec<(usize, bool)> = links
        .iter()
        .map(AsRef::as_ref)
        .zip(states)
        .enumerate()
        .filter(|(_, (rules, state))| !state.stopped && rules.allows(hint, receiver))
        .map(|(index, (rules, _))| (index, rules.prefers(hint, receiver)))
        .collect();
    ranked.sort_by(|&(a, a_preferred), &(b, b_preferred)| {
        b_preferred
            .cmp(&a_preferred)
            .then_with(|| {
                links[a]
                    .as_ref()
                    .cost
                    .partial_cmp(&links[b].as_ref().cost)
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| a.cmp(&b))
    });
    ranked.into_iter().map(|(index, _)| index).collect()
}

/// Picks the link to send on now among a lane's `candidates` (best first):
/// the best tier of preference and cost that has an online link with room,
/// and within it the least loaded. `has_room` says whether a link can take
/// one more message.
pub fn pick(
    links: &[impl AsRef<SmscRules>],
    states: &[LinkState],
    candidates: &[usize],
    has_room: impl Fn(usize) -> bool,
) -> Option<usize> {
    let usable = |&&index: &&usize| {
        states
            .get(index)
            .is_some_and(|state| state.online && !state.stopped)
            && has_room(index)
    };
    let first = *candidates.iter().find(usable)?;
    let tier_cost = links.get(first)?.as_ref().cost;
    candidates
        .iter()
        .filter(usable)
        .filter(|&&index| {
            links
                .get(index)
                .is_some_and(|link| link.as_ref().cost == tier_cost)
        })
        .min_by_key(|&&index| states.get(index).map_or(usize::MAX, |state| state.load))
        .copied()
}

/// Ranks the links allowed for a message. `links[i]` and `states[i]`
/// describe link `i`.
pub fn route(
    links: &[impl AsRef<SmscRules>],
    states: &[LinkState],
    hint: Option<&str>,
    receiver: &str,
) -> Route {
    let mut candidates: Vec<(usize, bool)> = links
        .iter()
        .map(AsRef::as_ref)
        .zip(states)
        .enumerate()
        .filter(|(_, (rules, state))| !state.stopped && rules.allows(hint, receiver))
        .map(|(index, (rules, _))| (index, rules.prefers(hint, receiver)))
        .collect();
    if candidates.is_empty() {
        return Route::NotRoutable;
    }
    candidates.sort_by(|&(a, a_preferred), &(b, b_preferred)| {
        b_preferred
            .cmp(&a_preferred)
            .then_with(|| {
                links[a]
                    .as_ref()
                    .cost
                    .partial_cmp(&links[b].as_ref().cost)
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| states[a].load.cmp(&states[b].load))
            .then_with(|| a.cmp(&b))
    });
    let (online, offline): (Vec<usize>, Vec<usize>) = candidates
        .into_iter()
        .map(|(index, _)| index)
        .partition(|&index| states[index].online);
    if online.is_empty() {
        Route::Waiting(offline)
    } else {
        Route::Online(online)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> LinkState {
        LinkState {
            online: true,
            stopped: false,
            load: 0,
        }
    }

    fn down() -> LinkState {
        LinkState {
            online: false,
            stopped: false,
            load: 0,
        }
    }

    fn prefixes(list: &str) -> PrefixRule {
        PrefixRule {
            prefixes: list.split(';').map(str::to_owned).collect(),
            regex: None,
        }
    }

    fn ids(list: &str) -> IdRule {
        IdRule {
            ids: list.split(';').map(str::to_owned).collect(),
            regex: None,
        }
    }

    fn supplier(id: &str, allowed: &str, cost: f64) -> SmscRules {
        SmscRules {
            smsc_id: id.into(),
            allowed_prefix: prefixes(allowed),
            cost,
            ..Default::default()
        }
    }

    #[test]
    fn each_country_goes_to_its_own_supplier() {
        let links = [
            supplier("italy", "+39", 0.02),
            supplier("france", "+33", 0.03),
            supplier("germany", "+49", 0.04),
        ];
        let states = [up(), up(), up()];
        assert_eq!(
            route(&links, &states, None, "+393331234567"),
            Route::Online(vec![0])
        );
        assert_eq!(
            route(&links, &states, None, "+33612345678"),
            Route::Online(vec![1])
        );
        assert_eq!(
            route(&links, &states, None, "+4915112345678"),
            Route::Online(vec![2])
        );
        assert_eq!(
            route(&links, &states, None, "+441234567890"),
            Route::NotRoutable
        );
    }

    #[test]
    fn the_cheapest_online_link_wins_and_the_others_are_the_failover_in_cost_order() {
        let links = [
            supplier("b", "+39", 0.05),
            supplier("a", "+39", 0.02),
            supplier("c", "+39", 0.03),
        ];
        assert_eq!(
            route(&links, &[up(), up(), up()], None, "+39333"),
            Route::Online(vec![1, 2, 0])
        );
        assert_eq!(
            route(&links, &[up(), down(), up()], None, "+39333"),
            Route::Online(vec![2, 0])
        );
    }

    #[test]
    fn with_every_allowed_link_down_the_message_waits() {
        let links = [supplier("a", "+39", 0.0), supplier("b", "+33", 0.0)];
        assert_eq!(
            route(&links, &[down(), up()], None, "+39333"),
            Route::Waiting(vec![0])
        );
    }

    #[test]
    fn candidates_list_every_allowed_link_online_or_not_best_first() {
        let links = [
            supplier("b", "+39", 0.05),
            supplier("a", "+39", 0.02),
            supplier("x", "+33", 0.01),
        ];
        assert_eq!(
            candidates(&links, &[up(), down(), up()], None, "+39333"),
            vec![1, 0]
        );
    }

    #[test]
    fn pick_fails_over_to_the_next_tier_and_balances_within_one() {
        let links = [
            supplier("a", "+39", 0.01),
            supplier("b", "+39", 0.01),
            supplier("c", "+39", 0.05),
        ];
        let busy = LinkState { load: 5, ..up() };
        assert_eq!(
            pick(&links, &[busy, up(), up()], &[0, 1, 2], |_| true),
            Some(1)
        );
        assert_eq!(
            pick(&links, &[down(), down(), up()], &[0, 1, 2], |_| true),
            Some(2)
        );
        assert_eq!(
            pick(&links, &[up(), up(), up()], &[0, 1, 2], |index| index == 2),
            Some(2)
        );
        assert_eq!(
            pick(&links, &[down(), down(), down()], &[0, 1, 2], |_| true),
            None
        );
    }

    #[test]
    fn a_stopped_link_is_no_candidate() {
        let links = [supplier("a", "+39", 0.0)];
        let stopped = LinkState {
            stopped: true,
            ..up()
        };
        assert_eq!(
            route(&links, &[stopped], None, "+39333"),
            Route::NotRoutable
        );
    }

    #[test]
    fn equal_cost_balances_on_load() {
        let links = [supplier("a", "+39", 0.01), supplier("b", "+39", 0.01)];
        let busy = LinkState { load: 10, ..up() };
        assert_eq!(
            route(&links, &[busy, up()], None, "+39333"),
            Route::Online(vec![1, 0])
        );
    }

    #[test]
    fn the_smsc_hint_is_a_preference_not_a_pin_as_in_kannel() {
        let a = SmscRules {
            smsc_id: "A".into(),
            ..Default::default()
        };
        let c = SmscRules {
            smsc_id: "C".into(),
            allowed_smsc_id: ids("C"),
            ..Default::default()
        };
        let states = [up(), up()];
        // Without the hint, C is not allowed; with it, both are.
        assert_eq!(
            route(&[a.clone(), c.clone()], &states, None, "+4670"),
            Route::Online(vec![0])
        );
        assert_eq!(
            route(&[a, c], &states, Some("C"), "+4670"),
            Route::Online(vec![0, 1])
        );
    }

    #[test]
    fn preferred_links_beat_cheaper_ones() {
        let cheap = supplier("cheap", "+39", 0.01);
        let preferred = SmscRules {
            preferred_smsc_id: ids("vip"),
            ..supplier("vip", "+39", 0.09)
        };
        assert_eq!(
            route(&[cheap, preferred], &[up(), up()], Some("vip"), "+39333"),
            Route::Online(vec![1, 0])
        );
    }

    #[test]
    fn denied_smsc_id_keeps_the_hinted_traffic_off_a_link() {
        let link = SmscRules {
            denied_smsc_id: ids("bulk"),
            ..Default::default()
        };
        assert!(!link.allows(Some("bulk"), "+39"));
        assert!(link.allows(Some("other"), "+39"));
        assert!(link.allows(None, "+39"));
    }

    #[test]
    fn allowed_and_denied_prefixes_together_refuse_only_what_is_denied_and_not_allowed() {
        let link = SmscRules {
            allowed_prefix: prefixes("+3933"),
            denied_prefix: prefixes("+39"),
            ..Default::default()
        };
        assert!(link.allows(None, "+39333"));
        assert!(!link.allows(None, "+39111"));
        assert!(link.allows(None, "+33111"));
    }

    #[test]
    fn unified_prefix_rewrites_national_and_international_forms() {
        let rules = UnifiedPrefix::parse("+46,0046,0;+,00");
        assert_eq!(rules.normalise("0701234567"), "+46701234567");
        assert_eq!(rules.normalise("0046701234567"), "+46701234567");
        assert_eq!(rules.normalise("+46701234567"), "+46701234567");
        assert_eq!(rules.normalise("12345"), "12345");
        assert_eq!(UnifiedPrefix::parse("-,+").normalise("+39333"), "39333");
    }
}
