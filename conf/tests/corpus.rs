//! Every configuration of the shared corpus (real kannel.conf files from
//! public repositories) gets the verdict real Kannel 1.4.5 gave it, as
//! recorded in `shared/conf-corpus/EXPECTED.md`, read with `Reader::Bearerbox`.
//!
//! Where a file is refused, the test also checks the line our diagnostic
//! points at. Kannel reports the line that *ends* the faulty block (a blank
//! line or the end of file); we point at the faulty line itself, so for
//! 17, 25, 46, 51, 52 and 53 our line is earlier than Kannel's.
//!
//! Folders stand for absolute directories (SOURCES.md); `include_roots` maps
//! them. Files 39 and 40 include a path relative to Kannel's working
//! directory, which is also the including file's folder, so they need no
//! mapping; 59 includes `kannel/conf` from `kannel/kannel.conf`, relative to
//! the folder root, so the relative prefix `kannel` is mapped.

use std::path::{Path, PathBuf};

use conf::{LoadOptions, Reader, Severity};

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conf-corpus");
    assert!(
        dir.join("EXPECTED.md").is_file(),
        "the configuration corpus is missing: expected it at {} (shared/conf-corpus beside the workspace)",
        dir.display()
    );
    dir
}

enum Verdict {
    Accepts,
    /// Refused, with an error at this line of this file containing this text.
    Rejects {
        file: &'static str,
        line: u32,
        text: &'static str,
    },
}
use Verdict::*;

struct Case {
    /// The file (main) of EXPECTED.md, relative to the corpus.
    main: &'static str,
    /// `(absolute directory as written in includes, folder in the corpus)`.
    roots: &'static [(&'static str, &'static str)],
    verdict: Verdict,
}

const fn single(main: &'static str, verdict: Verdict) -> Case {
    Case {
        main,
        roots: &[],
        verdict,
    }
}

const fn rejects(file: &'static str, line: u32, text: &'static str) -> Verdict {
    Rejects { file, line, text }
}

const CASES: &[Case] = &[
    single("01-onlinecity-ksmppd-docker-ksmppd-loopback.conf", Accepts),
    single(
        "02-mutesach-ez-gate-three-operators.conf",
        rejects(
            "02-mutesach-ez-gate-three-operators.conf",
            18,
            "sets both 'port' (6200) and 'receive-port' (6200)",
        ),
    ),
    single("03-kassimoussa-apisms-smpp-ha-mysql.conf", Accepts),
    single("04-prem214-KSMPP-smpp-tlv-mysql.conf", Accepts),
    single(
        "05-Ciolfire-docker-stack-symfony-clx-smpp-tlv.conf",
        Accepts,
    ),
    single(
        "06-dericking01-dockerized-doubled-prod.conf",
        rejects(
            "06-dericking01-dockerized-doubled-prod.conf",
            237,
            "group 'sms-service' has no key 'default-sender'",
        ),
    ),
    single("07-dericking01-dockerized-pgsql-dlr.conf", Accepts),
    single("08-isaiahakello-mlesson-provider-smpp-mysql.conf", Accepts),
    single("09-openhie-rapidpro-BID-TZ-rapidpro-smpp.conf", Accepts),
    single(
        "10-zlin143-kannel-docker-goip-goip-curly-quotes.conf",
        Accepts,
    ),
    single("11-hailemaryam-kannelConf-smpp-wapbox-route.conf", Accepts),
    single("12-smilinbandit-shorty-shorty-smpp.conf", Accepts),
    single("13-apatiev-peoplefinder-osmpp-keyword-regex.conf", Accepts),
    single(
        "14-mukerem-smsgateway-ethio-pgsql-inline-comments.conf",
        Accepts,
    ),
    single(
        "15-mukerem-smsgateway-js-comment-tail.conf",
        rejects("15-mukerem-smsgateway-js-comment-tail.conf", 38, "(no '=')"),
    ),
    single("16-dinhtrung-docker-kannel-smppsim-pair.conf", Accepts),
    single(
        "17-CliffordMarley-TumaSend-gateway-orphan-core-keys.conf",
        rejects(
            "17-CliffordMarley-TumaSend-gateway-orphan-core-keys.conf",
            49,
            "'admin-port' is outside any group: the blank line at line 47 ended group 'core'",
        ),
    ),
    Case {
        main: "18-uppaljs-Kannel-Clustering-Engine-cluster-include/runTime/TynTec.conf",
        roots: &[(
            "/home/ec2-user/Devel/Cequens-Kannel-Cluster-Solution",
            "18-uppaljs-Kannel-Clustering-Engine-cluster-include",
        )],
        verdict: Accepts,
    },
    Case {
        main: "19-futureclient-configs-smsc-include/kannel.conf",
        roots: &[("/etc/kannel", "19-futureclient-configs-smsc-include")],
        verdict: rejects(
            "kannel.conf",
            15,
            "cannot include \"/etc/kannel/smscs/smsc01.conf\"",
        ),
    },
    single("20-Nuh0804-bulk-sms-smppsim-dlr-url.conf", Accepts),
    single("21-gerard-bisama-kannel-GoIP-goip-rapidpro.conf", Accepts),
    Case {
        main: "22-samuelelandi-smslandi-http-generic-opensmppbox/etc/kannel/kannel.conf",
        roots: &[(
            "/etc/kannel",
            "22-samuelelandi-smslandi-http-generic-opensmppbox/etc/kannel",
        )],
        verdict: Accepts,
    },
    single("23-ngash-smppsim-kannel-smppsim-v50.conf", Accepts),
    single("24-flamencist-kannel-tele2-template.conf", Accepts),
    single(
        "25-eliasewu-claudesmpp-invented-keys.conf",
        rejects(
            "25-eliasewu-claudesmpp-invented-keys.conf",
            9,
            "group 'core' has no key 'suspended'",
        ),
    ),
    single(
        "26-wazupwiddat-kannel-docker-smppsim-single-quotes.conf",
        Accepts,
    ),
    single("27-Tovoson-zeronotify-stdout-logs.conf", Accepts),
    single(
        "28-justinamalonson-kannel-heredoc-eol.conf",
        rejects(
            "28-justinamalonson-kannel-heredoc-eol.conf",
            19,
            "got \"EOL\" (no '=')",
        ),
    ),
    single("29-spapageo-jannel-jannel-test.conf", Accepts),
    single(
        "30-tech-acs-ansible_bionic_server_provisioner-ansible-template.conf",
        Accepts,
    ),
    single(
        "31-coffeecoco-kannel-puppet-http-redis.conf",
        rejects(
            "31-coffeecoco-kannel-puppet-http-redis.conf",
            15,
            "'dlr-storage' must be one of",
        ),
    ),
    single("32-Ilhasoft-docker_kannel-envsubst-template.conf", Accepts),
    single("33-kaosada-sms-twelve-modems.conf", Accepts),
    single(
        "34-polygator-sms-integration-rawtcp-gateway-mysql.conf",
        Accepts,
    ),
    single("35-julianobarbosa-flexSMS-five-modems.conf", Accepts),
    single("36-vastrolorde-sms-gateway-two-modems.conf", Accepts),
    Case {
        main: "37-imuchene-config-backups-huawei-includes/etc/kannel/smskannel-huawei-e173.conf",
        roots: &[(
            "/etc/kannel",
            "37-imuchene-config-backups-huawei-includes/etc/kannel",
        )],
        verdict: Accepts,
    },
    Case {
        main: "38-jasonrogena-kannel_config-modem-include/etc/kannel/kannel.conf",
        roots: &[(
            "/etc/kannel",
            "38-jasonrogena-kannel_config-modem-include/etc/kannel",
        )],
        verdict: Accepts,
    },
    single(
        "39-jroesch-ruby-kannel-relative-include/kannel.conf",
        Accepts,
    ),
    single(
        "40-mtwesley-electionsmap-liberia-2014-bare-relative-include/kannel/kannel.conf",
        Accepts,
    ),
    Case {
        main: "41-jonasespelita-oasis-nested-include/kannel/kannel.conf",
        roots: &[(
            "/etc/kannel",
            "41-jonasespelita-oasis-nested-include/kannel",
        )],
        verdict: Accepts,
    },
    single("42-v0112358-kannel-config-playsms-huawei.conf", Accepts),
    single(
        "43-pivotaccess2007-RapidSMS-Rwanda-rapidsms-rwanda.conf",
        Accepts,
    ),
    single("44-gben-kannel_modem-modem-mysql-route.conf", Accepts),
    single("45-espMyTeam-alien-modem-http-services.conf", Accepts),
    single(
        "46-Rohith-max-Hack-Hive-baudrate.conf",
        rejects(
            "46-Rohith-max-Hack-Hive-baudrate.conf",
            17,
            "group 'modems' has no key 'baudrate'; did you mean 'speed'?",
        ),
    ),
    single(
        "47-GFDRR-Kannel-rapidsms-modem.conf",
        rejects(
            "47-GFDRR-Kannel-rapidsms-modem.conf",
            12,
            "cannot include \"/etc/kannel/modems.conf\"",
        ),
    ),
    single("48-hsrai-GNDEC-SMS-Service-modem-mysql.conf", Accepts),
    single("49-futurice-oss-taxibutton-raspberrypi-modem.conf", Accepts),
    single(
        "50-luistduarte-SMSgatewayServices-modem-wapbox-services.conf",
        Accepts,
    ),
    single(
        "51-8danie-rapidpro-docker-http-smsc-orphan.conf",
        rejects(
            "51-8danie-rapidpro-docker-http-smsc-orphan.conf",
            65,
            "'blacklist' is outside any group: the blank line at line 63 ended group 'sms-service'",
        ),
    ),
    single(
        "52-deepuzworld-mamaSafe-fakesmsc-type.conf",
        rejects(
            "52-deepuzworld-mamaSafe-fakesmsc-type.conf",
            17,
            "group 'smsc' has no key 'file'",
        ),
    ),
    single(
        "53-krajcovic-sms-gateway-kannel-group-line-comment.conf",
        rejects(
            "53-krajcovic-sms-gateway-kannel-group-line-comment.conf",
            77,
            "unknown group 'smsbox THIS IS A SAMPLE CONFIGURATION FOR SMS KANNEL'; did you mean 'smsbox'?",
        ),
    ),
    single("54-andrershov-gdepara-two-fakes.conf", Accepts),
    single("55-famri-wamya-backend-fake-smsbox-route.conf", Accepts),
    single(
        "56-k2glyph-UniFunInterviewQuestion-sample-derived.conf",
        Accepts,
    ),
    single(
        "57-dynax60-kannel-docker-split-boxes/conf/kannel.conf",
        Accepts,
    ),
    Case {
        main: "59-badlee-kannel.js-directory-include/kannel/kannel.conf",
        roots: &[("kannel", "59-badlee-kannel.js-directory-include/kannel")],
        verdict: Accepts,
    },
    Case {
        main: "60-chenchuk77-docker-kannel-three-smsboxes/_OLD/vol/kannel/etc/kannel.conf",
        roots: &[(
            "/etc/kannel",
            "60-chenchuk77-docker-kannel-three-smsboxes/_OLD/vol/kannel/etc",
        )],
        verdict: Accepts,
    },
];

fn options(corpus: &Path, roots: &[(&str, &str)]) -> LoadOptions {
    LoadOptions {
        include_roots: roots
            .iter()
            .map(|(from, to)| (PathBuf::from(from), corpus.join(to)))
            .collect(),
    }
}

fn check(
    corpus: &Path,
    name: &str,
    result: Result<conf::Loaded, conf::Refused>,
    verdict: &Verdict,
) -> Option<String> {
    match (verdict, result) {
        (Accepts, Ok(_)) => None,
        (Accepts, Err(refused)) => {
            Some(format!("{name}: Kannel accepts it, we refused:\n{refused}"))
        }
        (Rejects { .. }, Ok(_)) => Some(format!("{name}: Kannel rejects it, we accepted it")),
        (Rejects { file, line, text }, Err(refused)) => {
            let found = refused.errors().any(|d| {
                d.location.line == *line
                    && d.location.file.ends_with(file)
                    && d.message.contains(text)
            });
            let _ = corpus;
            (!found).then(|| format!("{name}: expected an error at {file}:{line} containing {text:?}, got:\n{refused}"))
        }
    }
}

#[test]
fn every_corpus_configuration_gets_kannels_verdict() {
    let corpus = corpus();
    let mut failures = Vec::new();
    for case in CASES {
        let result = conf::load(
            &corpus.join(case.main),
            Reader::Bearerbox,
            &options(&corpus, case.roots),
        );
        failures.extend(check(&corpus, case.main, result, &case.verdict));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_corpus_entry_is_covered() {
    let corpus = corpus();
    let mut numbers: Vec<String> = std::fs::read_dir(&corpus)
        .expect("corpus folder is readable")
        .filter_map(|e| e.ok())
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .take(2)
                .collect::<String>()
        })
        .filter(|n: &String| n.chars().all(|c| c.is_ascii_digit()) && n.len() == 2)
        .collect();
    numbers.sort();
    numbers.dedup();
    for n in numbers {
        // 58 is a set of fragments, assembled by its own test below.
        let covered = n == "58" || CASES.iter().any(|c| c.main.starts_with(&n));
        assert!(covered, "corpus entry {n} has no case in this test");
    }
}

/// 58 holds conf.d fragments that its start script joins with `include=`
/// lines (bearerbox.conf, modem.conf, redis.conf for bearerbox); assembled
/// that way, Kannel refuses the empty `dlr-storage =`.
#[test]
fn corpus_fragments_of_58_assembled_like_its_start_script_are_refused_for_the_empty_dlr_storage() {
    let corpus = corpus();
    let folder = corpus.join("58-ngendah-kannel-docker-confd-fragments");
    let wrapper = "include=/etc/kannel/conf.d/bearerbox.conf\n\
                   include=/etc/kannel/conf.d/modem.conf\n\
                   include=/etc/kannel/conf.d/redis.conf\n";
    let options = LoadOptions {
        include_roots: vec![(
            PathBuf::from("/etc/kannel/conf.d"),
            folder.join("conf.d.sample"),
        )],
    };
    let refused = conf::load_str(
        wrapper,
        &folder.join("kannel.conf"),
        Reader::Bearerbox,
        &options,
    )
    .expect_err("the empty dlr-storage is refused");
    let dlr = refused
        .errors()
        .find(|d| d.message.contains("'dlr-storage' must be one of"))
        .unwrap_or_else(|| panic!("no dlr-storage error in:\n{refused}"));
    assert!(
        dlr.location.file.ends_with("conf.d.sample/bearerbox.conf"),
        "{dlr}"
    );
    assert_eq!(dlr.location.line, 9, "{dlr}");
    assert!(dlr.message.ends_with("got \"\""), "{dlr}");
    assert!(
        refused
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning || d.message.contains("dlr-storage")),
        "{refused}"
    );
}
