//! The demo's walk as data: what each step shows, what is done by hand before
//! it, its berth command, the exit code that command must give and the object it
//! makes for later steps to name.

use berth::demo::Made;

use self::Arg::{HashOf, Word};

/// One step of the walk.
pub(super) struct Step {
    /// What the step shows, printed before its command; empty when the command
    /// goes on with the step before.
    pub(super) say: &'static str,
    /// What is done to the repository by hand, not through berth, before the command.
    pub(super) before: Option<ByHand>,
    /// The command's berth arguments.
    pub(super) args: &'static [Arg],
    /// The exit code the command must give.
    pub(super) expect: u8,
    /// The object the command makes, which later steps name.
    pub(super) makes: Option<Made>,
}

impl Step {
    /// What most steps leave out: nothing done by hand, nothing made for later steps.
    const PLAIN: Step = Step {
        say: "",
        before: None,
        args: &[],
        expect: 0,
        makes: None,
    };
}

/// One argument of a step's command.
#[derive(Clone, Copy)]
pub(super) enum Arg {
    /// Given as written.
    Word(&'static str),
    /// A unique prefix of the hash of an object an earlier step made.
    HashOf(Made),
}

/// A change to the repository that berth does not make.
#[derive(Clone, Copy)]
pub(super) enum ByHand {
    /// Someone edits a value inside the committed object.
    Tamper(Made),
    /// The object's file is restored from git.
    Restore(Made),
}

/// How many hex digits of a hash a command is given: enough to be unique here.
pub(super) const HASH_DIGITS: usize = 12;

/// Search 1's version set, which a careless hand later edits.
const SEARCH_1: Made = Made::VersionSet("search-1.json");
/// Search 2's version set.
const SEARCH_2: Made = Made::VersionSet("search-2.json");
/// Shop's first release, cut from the stable channel.
const SHOP_1_0_0: Made = Made::Release {
    package: "shop",
    version: "1.0.0",
};
/// Shop's partial release: what dev holds, with the api moved on.
const SHOP_1_1_0: Made = Made::Release {
    package: "shop",
    version: "1.1.0",
};
/// Shop's release in the pull request.
const SHOP_1_2_0: Made = Made::Release {
    package: "shop",
    version: "1.2.0",
};

/// The June price change, written once and sent again unchanged by the writer
/// that never saw its answer.
const JUNE_PRICE: &[Arg] = &[
    Word("config"),
    Word("set"),
    Word("pricing-acme"),
    Word("--expect-version"),
    Word("1"),
    Word("--set"),
    Word("rate_per_minute=0.03"),
    Word("--set"),
    Word("minimum_charge=0.01"),
    Word("--effective-at"),
    Word("2025-06-01T00:00:00Z"),
    Word("--idempotency-key"),
    Word("acme-june-price"),
    Word("--commit"),
];

/// The walk, in order.
pub(super) const STEPS: &[Step] = &[
    Step {
        say: "Make it a berth repository: berth.toml with dev -> staging -> production.",
        args: &[Word("init"), Word("--commit")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Put a version set. Its name is the SHA-256 of its canonical JSON.",
        args: &[
            Word("put"),
            Word("version-sets"),
            Word("inbox/search-1.json"),
            Word("--commit"),
        ],
        expect: 0,
        makes: Some(SEARCH_1),
        ..Step::PLAIN
    },
    Step {
        say: "The same data written as TOML is the same object: nothing new is created.",
        args: &[
            Word("put"),
            Word("version-sets"),
            Word("inbox/search-1.toml"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Put two more at once: all of them are written, or none.",
        args: &[
            Word("put"),
            Word("version-sets"),
            Word("inbox/search-2.json"),
            Word("inbox/devpad-1.toml"),
            Word("-m"),
            Word("Add search 2 and devpad 1"),
        ],
        expect: 0,
        makes: Some(SEARCH_2),
        ..Step::PLAIN
    },
    Step {
        say: "List the objects, newest first in each package.",
        args: &[Word("ls")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Show one by a unique prefix of its hash.",
        args: &[Word("show"), HashOf(SEARCH_2)],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Check every invariant of the repository.",
        args: &[Word("validate")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Someone edits a committed object by hand. The validator notices.",
        before: Some(ByHand::Tamper(SEARCH_1)),
        args: &[Word("validate")],
        expect: 1,
        ..Step::PLAIN
    },
    Step {
        say: "Restore it from git, and the repository is valid again.",
        before: Some(ByHand::Restore(SEARCH_1)),
        args: &[Word("validate")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "A package name that would escape its directory is refused before any path is built.",
        args: &[Word("put"), Word("version-sets"), Word("inbox/escape.json")],
        expect: 1,
        ..Step::PLAIN
    },
    Step {
        say: "Promote search 1 to dev: a commit on refs/heads/env/dev whose second parent is the catalog commit that added it.",
        args: &[Word("promote"), HashOf(SEARCH_1), Word("--to"), Word("dev")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Promote what dev holds to staging.",
        args: &[
            Word("promote"),
            Word("anthropic-search@dev"),
            Word("--to"),
            Word("staging"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Production receives only from staging, and staging never held search 2: refused.",
        args: &[
            Word("promote"),
            HashOf(SEARCH_2),
            Word("--to"),
            Word("production"),
        ],
        expect: 1,
        ..Step::PLAIN
    },
    Step {
        say: "Production also requires a `ready` event, and search 1 has none yet: refused.",
        args: &[
            Word("promote"),
            Word("anthropic-search@staging"),
            Word("--to"),
            Word("production"),
        ],
        expect: 1,
        ..Step::PLAIN
    },
    Step {
        say: "Record that search 1 is ready: an append-only event object.",
        args: &[
            Word("put"),
            Word("events"),
            Word("inbox/search-1-ready.json"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Now it ships to production.",
        args: &[
            Word("promote"),
            Word("anthropic-search@staging"),
            Word("--to"),
            Word("production"),
            Word("--tag"),
            Word("shape:onebox"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "What was promoted to produce this production release? Read off commit parents and trailers.",
        args: &[Word("lineage"), Word("anthropic-search@production")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Search 2 goes to dev, then everything dev holds that staging lacks goes to staging.",
        args: &[Word("promote"), HashOf(SEARCH_2), Word("--to"), Word("dev")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("promote"),
            Word("--all"),
            Word("--to"),
            Word("staging"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Every environment at a glance: staging has drifted ahead of production.",
        args: &[Word("status")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "What promoting staging to production would change.",
        args: &[Word("diff"), Word("staging"), Word("production")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Search 2 misbehaves in staging: roll back to what staging held before.",
        args: &[
            Word("rollback"),
            Word("anthropic-search"),
            Word("--env"),
            Word("staging"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "The package's history in staging, newest first.",
        args: &[Word("history"), Word("anthropic-search@staging")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Production's state is a snapshot: the object is read from the environment's own commit.",
        args: &[Word("show"), Word("anthropic-search@production")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Releases are made of components. Register two images, with version rules for the worker.",
        args: &[
            Word("component"),
            Word("add"),
            Word("api"),
            Word("--image"),
            Word("registry.example.com/shop/api"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("component"),
            Word("add"),
            Word("worker"),
            Word("--image"),
            Word("registry.example.com/shop/worker"),
            Word("--rule"),
            Word(r"stable=^v(\d+\.\d+\.\d+)$"),
            Word("--rule"),
            Word(r"beta=^v(\d+\.\d+\.\d+-(?:beta|rc)\.\d+)$"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Import each registry's tags with their digests: the version maps, append-only.",
        args: &[
            Word("versions"),
            Word("import"),
            Word("api"),
            Word("inbox/api-tags.txt"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("versions"),
            Word("import"),
            Word("worker"),
            Word("inbox/worker-tags.json"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Channel heads by semver order; a prerelease never heads stable.",
        args: &[Word("versions"), Word("ls"), Word("worker")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Cut shop 1.0.0 from the stable channel: every tag resolved to its digest.",
        args: &[
            Word("release"),
            Word("create"),
            Word("shop"),
            Word("--version"),
            Word("1.0.0"),
            Word("--channel"),
            Word("stable"),
            Word("--branch"),
            Word("main"),
            Word("--commit"),
        ],
        expect: 0,
        makes: Some(SHOP_1_0_0),
        ..Step::PLAIN
    },
    Step {
        say: "Its build is good: mark it ready, and ship it to dev.",
        args: &[
            Word("mark"),
            HashOf(SHOP_1_0_0),
            Word("ready"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("promote"),
            HashOf(SHOP_1_0_0),
            Word("--to"),
            Word("dev"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "A week later the api has v1.1.0.",
        args: &[
            Word("versions"),
            Word("import"),
            Word("api"),
            Word("inbox/api-tags-2.txt"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "A partial release: what dev holds, with only the api moved to its channel head.",
        args: &[
            Word("release"),
            Word("create"),
            Word("shop"),
            Word("--version"),
            Word("1.1.0"),
            Word("--from-env"),
            Word("dev"),
            Word("--update"),
            Word("api"),
            Word("--commit"),
        ],
        expect: 0,
        makes: Some(SHOP_1_1_0),
        ..Step::PLAIN
    },
    Step {
        say: "Compare the two releases, component by component.",
        args: &[Word("diff"), HashOf(SHOP_1_0_0), HashOf(SHOP_1_1_0)],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "1.0.0 travels on to staging; then 1.0.0 is deprecated in favour of 1.1.0.",
        args: &[
            Word("promote"),
            Word("shop@dev"),
            Word("--to"),
            Word("staging"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("mark"),
            HashOf(SHOP_1_0_0),
            Word("deprecated"),
            Word("--reason"),
            Word("superseded by 1.1.0"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Production takes only ready objects: the deprecated release is refused.",
        args: &[
            Word("promote"),
            Word("shop@staging"),
            Word("--to"),
            Word("production"),
        ],
        expect: 1,
        ..Step::PLAIN
    },
    Step {
        say: "The release catalog, newest first, with derived statuses.",
        args: &[Word("release"), Word("ls")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Configs govern behaviour, so each change is a new version. Price the acme account: version 1, written by a writer who read version 0.",
        args: &[
            Word("config"),
            Word("set"),
            Word("pricing-acme"),
            Word("--expect-version"),
            Word("0"),
            Word("--type"),
            Word("pricing"),
            Word("--category"),
            Word("logic"),
            Word("--applies-to"),
            Word("acme"),
            Word("--scope"),
            Word("account"),
            Word("--set"),
            Word("rate_per_minute=0.02"),
            Word("--effective-at"),
            Word("2025-01-01T00:00:00Z"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Its premium line 7 gets its own price from March: an override at asset scope.",
        args: &[
            Word("config"),
            Word("set"),
            Word("pricing-line-7"),
            Word("--expect-version"),
            Word("0"),
            Word("--type"),
            Word("pricing"),
            Word("--category"),
            Word("logic"),
            Word("--applies-to"),
            Word("line-7"),
            Word("--scope"),
            Word("asset"),
            Word("--set"),
            Word("rate_per_minute=0.05"),
            Word("--effective-at"),
            Word("2025-03-01T00:00:00Z"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "The account's price changes in June. The writer read version 1, so it expects version 1.",
        args: JUNE_PRICE,
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "A second writer also read version 1: its update is a conflict (exit 3), not a lost update.",
        args: &[
            Word("config"),
            Word("set"),
            Word("pricing-acme"),
            Word("--expect-version"),
            Word("1"),
            Word("--set"),
            Word("rate_per_minute=0.025"),
            Word("--commit"),
        ],
        expect: 3,
        ..Step::PLAIN
    },
    Step {
        say: "The first writer never saw its answer and retries with its idempotency key: berth finds version 2 and writes nothing.",
        args: JUNE_PRICE,
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "The account's history: when each version took effect and when the next superseded it.",
        args: &[Word("config"), Word("history"), Word("pricing-acme")],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "What did line 7 cost in February? No asset override yet, so the account answered.",
        args: &[
            Word("config"),
            Word("resolve"),
            Word("pricing"),
            Word("--asset"),
            Word("line-7"),
            Word("--account"),
            Word("acme"),
            Word("--at"),
            Word("2025-02-01T00:00:00Z"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "And in July: the asset override answers, ahead of the account.",
        args: &[
            Word("config"),
            Word("resolve"),
            Word("pricing"),
            Word("--asset"),
            Word("line-7"),
            Word("--account"),
            Word("acme"),
            Word("--at"),
            Word("2025-07-01T00:00:00Z"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "Pricing is fail-closed: for an asset with no price at any scope, the answer is an error, not a guess.",
        args: &[
            Word("config"),
            Word("resolve"),
            Word("pricing"),
            Word("--asset"),
            Word("line-9"),
        ],
        expect: 1,
        ..Step::PLAIN
    },
    Step {
        say: "A pull request: the worker has v3.3.0. Import it, cut shop 1.2.0 from the stable channel, promote it to dev, and raise the account's price from 2030.",
        args: &[
            Word("versions"),
            Word("import"),
            Word("worker"),
            Word("inbox/worker-tags-2.json"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("release"),
            Word("create"),
            Word("shop"),
            Word("--version"),
            Word("1.2.0"),
            Word("--channel"),
            Word("stable"),
            Word("--branch"),
            Word("main"),
            Word("--commit"),
        ],
        expect: 0,
        makes: Some(SHOP_1_2_0),
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("promote"),
            HashOf(SHOP_1_2_0),
            Word("--to"),
            Word("dev"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "",
        args: &[
            Word("config"),
            Word("set"),
            Word("pricing-acme"),
            Word("--expect-version"),
            Word("2"),
            Word("--set"),
            Word("rate_per_minute=0.035"),
            Word("--effective-at"),
            Word("2030-01-01T00:00:00Z"),
            Word("--commit"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "The review a reviewer sees on the pull request: the three commits since main~3 and dev's new commit, as a comment (it exits 1 if anything is wrong, so CI gates on it too).",
        args: &[
            Word("review"),
            Word("--base"),
            Word("main~3"),
            Word("--env-base"),
            Word("dev=env/dev~1"),
            Word("--format"),
            Word("markdown"),
        ],
        expect: 0,
        ..Step::PLAIN
    },
    Step {
        say: "And the repository, registry, releases and configs included, is valid.",
        args: &[Word("validate")],
        expect: 0,
        ..Step::PLAIN
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_a_step_names_is_made_once_by_an_earlier_step() {
        let mut made = Vec::new();
        for step in STEPS {
            let by_hash = step.args.iter().filter_map(|arg| match arg {
                HashOf(object) => Some(*object),
                Word(_) => None,
            });
            let by_hand = step.before.map(|change| match change {
                ByHand::Tamper(object) | ByHand::Restore(object) => object,
            });
            for named in by_hash.chain(by_hand) {
                assert!(made.contains(&named), "{named} is named before it is made");
            }
            if let Some(object) = step.makes {
                assert!(!made.contains(&object), "{object} is made twice");
                made.push(object);
            }
        }
    }
}
